// 批量填报: show the spinner of a busy form and stop a second click from sending the file or the import twice.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!form.hasAttribute("data-busy")) return;
  form.classList.add("htmx-request");
  // After this turn, so the submission already under way is not cancelled by its own disabled button.
  setTimeout(() => form.querySelectorAll("button").forEach((button) => { button.disabled = true; }), 0);
});
