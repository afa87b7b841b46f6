"""Channel adapters behind one interface (:mod:`gridcare.notifications.channels.base`)."""
