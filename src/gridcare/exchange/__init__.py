"""Import and export of the customer and metering file as CSV and XLSX."""
