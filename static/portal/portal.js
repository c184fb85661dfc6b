// Progressive enhancements: every page works without them.
"use strict";

// A form marked data-submit-once sends itself once: a second click while the
// first request is under way does nothing. The server guards as well.
function guardDoubleSubmit(form) {
  form.addEventListener("submit", (event) => {
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "true";
    for (const button of form.querySelectorAll("button[type=submit]")) {
      button.disabled = true;
      if (button.dataset.busyLabel) {
        button.dataset.idleLabel = button.textContent;
        button.textContent = button.dataset.busyLabel;
      }
    }
  });

  // Coming back to the page from the browser's cache must not leave it locked.
  window.addEventListener("pageshow", () => {
    delete form.dataset.submitting;
    for (const button of form.querySelectorAll("button[type=submit]")) {
      button.disabled = false;
      if (button.dataset.idleLabel) {
        button.textContent = button.dataset.idleLabel;
      }
    }
  });
}

// A file input marked data-max-bytes says at once when the chosen file is too
// large, and keeps its form from sending it: the server would refuse it only
// after the upload, which for a large file takes a while.
function checkFileSize(input) {
  const feedback = document.createElement("div");
  feedback.className = "invalid-feedback";
  feedback.setAttribute("role", "alert");
  input.after(feedback);

  const tooLarge = () => {
    const file = input.files && input.files[0];
    return Boolean(file) && file.size > Number(input.dataset.maxBytes);
  };
  const show = () => {
    const refuse = tooLarge();
    input.classList.toggle("is-invalid", refuse);
    feedback.textContent = refuse ? input.dataset.tooLargeMessage : "";
  };

  input.addEventListener("change", show);
  input.form.addEventListener("submit", (event) => {
    if (tooLarge()) {
      event.preventDefault();
      event.stopImmediatePropagation();
      show();
      input.focus();
    }
  });
}

// A select marked data-searchable gets a text box above it that narrows the
// options to those whose name contains what is typed.
function makeSearchable(select) {
  const search = document.createElement("input");
  search.type = "search";
  search.className = "form-control country-search";
  search.placeholder = select.dataset.searchPlaceholder || "";
  search.setAttribute("aria-label", search.placeholder);
  search.setAttribute("aria-controls", select.id);
  select.before(search);

  search.addEventListener("input", () => {
    const needle = search.value.trim().toLocaleLowerCase();
    let firstMatch = null;
    for (const option of select.options) {
      const matches = !needle || option.text.toLocaleLowerCase().includes(needle);
      option.hidden = option.value !== "" && !matches;
      if (matches && option.value !== "" && firstMatch === null) {
        firstMatch = option;
      }
    }
    if (needle && firstMatch) {
      select.value = firstMatch.value;
      select.dispatchEvent(new Event("change"));
    }
  });
}

// A part of the page marked data-refresh reloads itself from data-live-url
// every so many milliseconds, until the server sends it without the mark.
function keepFresh(element) {
  const delay = Number(element.dataset.refresh);
  window.setTimeout(async () => {
    try {
      const response = await fetch(element.dataset.liveUrl, {
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      // A signed-out session is redirected to the sign-in page: that is no
      // fresh copy of this part of the page.
      if (!response.ok || response.redirected) {
        throw new Error(`HTTP ${response.status}`);
      }
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();
      const fresh = holder.firstElementChild;
      if (!fresh || fresh.id !== element.id) {
        throw new Error("unexpected answer");
      }
      element.replaceWith(fresh);
      if (fresh.dataset.refresh) {
        keepFresh(fresh);
      }
    } catch {
      // A lost connection or a signed-out session: try again a little later.
      element.dataset.refresh = String(Math.min(delay * 2, 30000));
      keepFresh(element);
    }
  }, delay);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-refresh]").forEach(keepFresh);
  // Before the double-submit guard, so that a refused file leaves the form
  // ready to send again.
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(checkFileSize);
  document.querySelectorAll("form[data-submit-once]").forEach(guardDoubleSubmit);
  document.querySelectorAll("select[data-searchable]").forEach(makeSearchable);
});
