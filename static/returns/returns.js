// A second click on a submit button while the first POST is on its way does nothing
// (the server would act once anyway: every form carries a one-time key).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  document.querySelectorAll(`button[form="${form.id}"], form[data-sent] button`).forEach((b) => {
    setTimeout(() => { b.disabled = true; }, 0);
  });
});
