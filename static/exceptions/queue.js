// The queue: "select all" and showing only the bulk parameter the chosen action needs.
// Bound on the document so it keeps working after htmx swaps the queue.
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.id === "select-all") {
    document.querySelectorAll('#queue-table input[name="tickets"]').forEach((box) => {
      box.checked = target.checked;
    });
  }
  if (target.name === "action" && target.form && target.form.id === "bulk-form") {
    showBulkParams(target.value);
  }
});

function showBulkParams(action) {
  document.querySelectorAll("#bulk-form .bulk-param").forEach((param) => {
    param.hidden = param.dataset.for !== action;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const action = document.querySelector('#bulk-form [name="action"]');
  if (action) showBulkParams(action.value);
});
document.addEventListener("htmx:afterSwap", () => {
  const action = document.querySelector('#bulk-form [name="action"]');
  if (action) showBulkParams(action.value);
});
