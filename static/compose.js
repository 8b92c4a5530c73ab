// The compose form's live preview and helpers. The form works without this script:
// the Preview button does the same on the server, through the same code path.
(function () {
  "use strict";
  var form = document.getElementById("compose-form");
  if (!form) { return; }
  var byId = function (id) { return document.getElementById(id); };
  var timer = null;

  function text(id, value) { var el = byId(id); if (el) { el.textContent = value || ""; } }

  function showPreview(data) {
    if (!data.body) {
      text("preview-count", "");
      return;
    }
    text("preview-body", data.body);
    text("preview-count", data.encoding + " · " + data.characters + " characters · " +
      data.parts + " part" + (data.parts === 1 ? "" : "s"));
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

  function updateBudget() {
    var input = form.querySelector("[data-budget]");
    if (!input) { return; }
    var left = parseInt(input.dataset.budget, 10) - input.value.length;
    text("personal-budget", left + (left === 1 ? " character left" : " characters left"));
  }

  function selectedTemplate() {
    var select = byId("template_version_id");
    return select ? select.options[select.selectedIndex] : null;
  }

  function filterTemplates() {
    var situation = byId("situation");
    var select = byId("template_version_id");
    if (!situation || !select) { return; }
    Array.prototype.forEach.call(select.options, function (option) {
      var fits = !situation.value || !option.dataset.situation ||
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
    if (chosen && chosen.dataset.whenToUse) { text("when-to-use", chosen.dataset.whenToUse); }
    var at = form.querySelector("input[name=when][value=at]");
    var sendAt = byId("send-at-field");
    if (at && sendAt) { sendAt.hidden = !at.checked; }
  }

  form.addEventListener("input", function () { updateBudget(); schedule(); });
  form.addEventListener("change", function (event) {
    if (event.target.id === "situation") { filterTemplates(); }
    toggleFields();
    schedule();
  });
  filterTemplates();
  toggleFields();
  updateBudget();
})();
