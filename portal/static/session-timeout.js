// The timeout warning: two minutes before the idle timeout, a dialog says how long is left
// and offers to stay signed in. Progressive enhancement: without it, the footer shows the
// time the session ends, and a form saved after that is kept until the person signs in.
const WARN_AT_SECONDS = 120;
const dialog = document.getElementById("timeout-warning");

function words(seconds) {
  if (seconds >= 60) {
    const minutes = Math.ceil(seconds / 60);
    return minutes === 1 ? "1 minute" : `${minutes} minutes`;
  }
  return seconds === 1 ? "1 second" : `${seconds} seconds`;
}

if (dialog && typeof dialog.showModal === "function") {
  const countdown = dialog.querySelector(".app-timeout-countdown");
  const message = dialog.querySelector("#timeout-message");
  const ended = dialog.querySelector(".app-timeout-ended");
  const button = dialog.querySelector("#stay-signed-in");
  const token = dialog.querySelector("input[name=csrf_token]").value;
  let endsAt = Date.now() + Number(dialog.dataset.secondsLeft) * 1000;
  let over = false;
  let dismissed = false;
  let asking = false;

  const tick = () => {
    const left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
    if (left <= 0 && !over) {
      over = true;
      message.hidden = true;
      ended.hidden = false;
      button.textContent = "Close";
    } else if (!over) {
      countdown.textContent = words(left);
    }
    if (left <= WARN_AT_SECONDS && !dialog.open && !dismissed && !asking) {
      dialog.showModal();
    }
  };

  const stay = async () => {
    if (over) {
      dismissed = true;
      return;
    }
    const body = new FormData();
    body.append("csrf_token", token);
    asking = true;
    try {
      const response = await fetch("/session/keep-alive", {
        method: "POST", body, credentials: "same-origin", redirect: "manual",
        headers: { Accept: "application/json" },
      });
      if (response.ok) {
        const answer = await response.json();
        endsAt = Date.now() + Number(answer.seconds_left) * 1000;
        return;
      }
    } catch {
      // The network failed: the countdown goes on, and a save still keeps the text.
    } finally {
      asking = false;
    }
    endsAt = Date.now();
    tick();
  };

  dialog.addEventListener("close", stay);
  window.setInterval(tick, 1000);
  tick();
}
