// Typed text is never lost by leaving a page: once a form has been changed, the browser
// asks before the page is left any other way than by sending that form.
let changed = false;
let sending = false;

for (const form of document.querySelectorAll("form[method='post']")) {
  form.addEventListener("input", () => { changed = true; });
  form.addEventListener("submit", () => { sending = true; });
}

window.addEventListener("beforeunload", (event) => {
  if (changed && !sending) {
    event.preventDefault();
    event.returnValue = "";  // older browsers show their own question only when this is set
  }
});
