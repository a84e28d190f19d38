// "All on this page" in a bulk-action form (data-select-all names the rows' checkboxes). The box works
// without JavaScript: the form lists the page's papers and the server takes them all. Here it also ticks
// every row, and ticking rows one by one keeps it in step: checked when all are, mixed when some are.
(function () {
  function rowsOf(box) {
    return Array.prototype.slice.call(
      box.form.querySelectorAll('input[type="checkbox"][name="' + box.dataset.selectAll + '"]')
    );
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.form) return;
    if (target.matches("[data-select-all]")) {
      rowsOf(target).forEach(function (row) { row.checked = target.checked; });
      target.indeterminate = false;
      return;
    }
    var box = target.form.querySelector("[data-select-all]");
    if (!box || target.name !== box.dataset.selectAll) return;
    var rows = rowsOf(box);
    var ticked = rows.filter(function (row) { return row.checked; }).length;
    box.checked = ticked === rows.length;
    box.indeterminate = ticked > 0 && ticked < rows.length;
  });
})();
