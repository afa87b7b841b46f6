// The Print button of printable pages (receipts): the site's CSP refuses inline handlers.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
