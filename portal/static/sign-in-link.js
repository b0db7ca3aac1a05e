// The sign-in link carries its token after the "#", which the browser never sends to a
// server. Put it in the form, take it out of the address bar and the history, and hide
// the box the person would otherwise paste the code into. Without this file the box stays.
const field = document.getElementById("token");
const token = decodeURIComponent(window.location.hash.slice(1));
if (field && token) {
  field.value = token;
  window.history.replaceState(null, "", window.location.pathname);
  const group = document.querySelector("[data-sign-in-code]");
  if (group) {
    group.hidden = true;
  }
}
