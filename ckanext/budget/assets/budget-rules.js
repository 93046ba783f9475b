/* Immediate feedback in the rule editor: as a formula is typed (or the document changed),
 * ask the server what it selects and show the parse error with its position, or the
 * number of lines and their total in the chosen document. Without JavaScript the
 * "Preview" button gives the same answer after a round trip; nothing is saved here. */
this.ckan.module("budget-formula-preview", function () {
  "use strict";
  return {
    options: { url: null, delay: 400 },
    initialize: function () {
      var form = this.el[0];
      var field = form.querySelector("[name=formula]");
      var documents = form.querySelector("[name=document]");
      var output = form.querySelector(".budget-formula-live");
      var url = this.options.url;
      var delay = Number(this.options.delay) || 400;
      var timer = null;
      var latest = 0;
      if (!field || !output || !url || !window.fetch || !window.FormData) {
        return;
      }

      function line(tag, className, text) {
        var element = document.createElement(tag);
        element.className = className;
        element.textContent = text;
        output.appendChild(element);
      }

      function show(answer) {
        output.textContent = "";
        output.hidden = false;
        field.setAttribute("aria-invalid", answer.ok ? "false" : "true");
        output.className = "budget-formula-live " + (answer.ok ? "is-valid" : "is-invalid");
        if (!answer.ok) {
          line("p", "budget-formula-live-error", answer.message);
          if (answer.pointer) {
            line("pre", "budget-formula-live-pointer", answer.pointer);
          }
          return;
        }
        line("p", "budget-formula-live-summary", answer.summary);
        (answer.details || []).forEach(function (text) {
          line("p", "budget-formula-live-detail", text);
        });
      }

      function send() {
        var asked = ++latest;
        var body = new FormData(form);
        body.set("op", "preview");
        window.fetch(url, {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" }
        }).then(function (response) {
          return response.ok ? response.json() : null;
        }).then(function (answer) {
          if (answer && asked === latest) {  // an older answer never hides a newer one
            show(answer);
          }
        }).catch(function () {
          /* the Preview button still works */
        });
      }

      function later() {
        window.clearTimeout(timer);
        timer = window.setTimeout(send, delay);
      }

      field.addEventListener("input", later);
      if (documents) {
        documents.addEventListener("change", send);
      }
    }
  };
});
