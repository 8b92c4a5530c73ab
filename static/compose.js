// The compose form's live preview and helpers. The form works without this script:
// the Preview button does the same on the server, through the same code path.
(function () {
  "use strict";
  var form = document.getElementById("compose-form");
  if (!form) { return; }
  var byId = function (id) { return document.getElementById(id); };
  var timer = null;

  function text(id, value) { var el = byId(id); if (el) { el.textContent = value || ""; } }

  function showLanguage(language) {
    var panel = byId("language-choice");
    if (!panel || !language) { return; }
    text("text-language", language.languages ? "Goes in " + language.languages + "." : "");
    var chosen = form.querySelector("input[name=language_choice]:checked");
    panel.hidden = !language.problem && !(chosen && chosen.value);
    var ask = byId("ask-translation");
    if (ask) { ask.hidden = !language.problem; }
    var error = byId("language_choice-error");
    if (language.problem) {
      if (!error) {
        error = document.createElement("p");
        error.className = "error";
        error.id = "language_choice-error";
        panel.insertBefore(error, panel.querySelector(".radios"));
      }
      error.textContent = language.problem;
    } else if (error) {
      error.remove();
    }
    panel.querySelectorAll("[data-option]").forEach(function (option) {
      var input = option.querySelector("input");
      option.hidden = language.options.indexOf(option.dataset.option) === -1 &&
        !(input && input.checked);
    });
  }

  function showPreview(data) {
    showLanguage(data.language);
    if (!data.body) {
      text("preview-count", "");
      return;
    }
    text("preview-body", data.body);
    text("preview-count", data.encoding + " · " + data.characters + " characters · " +
      data.parts + " part" + (data.parts === 1 ? "" : "s"));
    text("preview-day", data.day_note);
    text("preview-replaced", data.replaced.length ?
      "Replaced so it sends as plain text: " + data.replaced.join(", ") : "");
    var list = byId("preview-warnings");
    if (list) {
      list.textContent = "";
      (data.warnings || []).forEach(function (w) {
        var item = document.createElement("li");
        item.dataset.code = w.code;
        item.textContent = w.message;
        list.appendChild(item);
      });
      byId("preview-warnings-box").hidden = !(data.warnings || []).length;
    }
    text("when-to-use", data.when_to_use);
    var budget = byId("personal-budget");
    if (budget && data.budget) {
      budget.textContent = data.budget;
      budget.classList.toggle("budget--over", !!data.budget_over);
    }
  }

  function refresh() {
    var body = new FormData(form);
    body.delete("action");
    fetch(form.dataset.previewUrl, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { showPreview(data); } })
      .catch(function () { /* the Preview button still works */ });
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(refresh, 200); }

  // After a hard moment (the worker says they left angry, say), suggest waiting until
  // the morning at once and choose "Tomorrow morning", unless the worker has chosen a
  // time themselves: it stays their call.
  var coolingOff = (form.dataset.coolingOff || "").split(" ").filter(Boolean);
  var whenChosenByWorker = false;

  function chosenSituation() {
    var chosen = selectedTemplate();
    if (chosen && chosen.dataset.situation) { return chosen.dataset.situation; }
    var situation = byId("situation");
    return situation ? situation.value : "";
  }

  function suggestCoolingOff(preselect) {
    var notice = byId("cooling-off");
    if (!notice || !coolingOff.length) { return; }
    var hard = coolingOff.indexOf(chosenSituation()) !== -1;
    notice.hidden = !hard;
    var morning = form.querySelector("input[name=when][value=tomorrow_morning]");
    if (preselect && hard && morning && !whenChosenByWorker && !morning.checked) {
      morning.checked = true;
    }
  }

  function selectedTemplate() {
    var select = byId("template_version_id");
    return select ? select.options[select.selectedIndex] : null;
  }

  function filterTemplates() {
    var situation = byId("situation");
    var select = byId("template_version_id");
    if (!situation || !select) { return; }
    var notText = false;
    Array.prototype.forEach.call(form.querySelectorAll("[data-not-a-text]"), function (notice) {
      notice.hidden = notice.dataset.notAText !== situation.value;
      notText = notText || !notice.hidden;
    });
    Array.prototype.forEach.call(select.options, function (option) {
      var fits = notText ? !option.value : !situation.value || !option.dataset.situation ||
        option.dataset.situation === situation.value || option.parentNode.label === "Recently used by you";
      option.hidden = !fits;
      option.disabled = !fits;
    });
  }

  function toggleFields() {
    var chosen = selectedTemplate();
    var meeting = byId("next-meeting-field");
    if (meeting && chosen && chosen.dataset.fields !== undefined) {
      meeting.hidden = chosen.dataset.fields.split(" ").indexOf("next_meeting") === -1;
    }
    var happened = byId("happened-on-field");
    if (happened && chosen && chosen.dataset.fields !== undefined) {
      happened.hidden = chosen.dataset.fields.split(" ").indexOf("day") === -1;
    }
    if (chosen && chosen.dataset.whenToUse) { text("when-to-use", chosen.dataset.whenToUse); }
    var at = form.querySelector("input[name=when][value=at]");
    var sendAt = byId("send-at-field");
    if (at && sendAt) { sendAt.hidden = !at.checked; }
  }

  form.addEventListener("input", function () { schedule(); });
  form.addEventListener("change", function (event) {
    if (event.target.name === "when") { whenChosenByWorker = true; }
    if (event.target.id === "situation") { filterTemplates(); }
    if (event.target.id === "situation" || event.target.id === "template_version_id") {
      suggestCoolingOff(true);
    }
    toggleFields();
    schedule();
  });
  filterTemplates();
  suggestCoolingOff(false);  // a page shown again keeps what the worker chose
  toggleFields();
})();
