/* Immediate feedback in the rule editor: as a formula is typed (or the document changed),
 * ask the server what it selects and show the parse error with its position, or the
 * number of lines and their total in the chosen document. Without JavaScript the
 * "Preview" button gives the same answer after a round trip; nothing is saved here.
 *
 * Figures are never stale: as soon as the formula changes, the figures shown (the live
 * ones and the server-rendered preview) are withdrawn until the answer for the new text
 * comes; every request has a sequence number and only the answer to the latest one is
 * shown, so an older answer arriving late never overwrites a newer one.
 *
 * Codes are suggested as they are typed: after « chapitre 01 », « compte 65 » or
 * « fonction 4 », a list of the matching codes with their labels (from the chart of
 * accounts of the rule set's documents). The field keeps the focus and points at the
 * active option (aria-activedescendant); ↓/↑ move, Enter or Tab picks, Escape closes.
 * Without JavaScript the page links to the searchable list of codes. */
this.ckan.module("budget-formula-preview", function () {
  "use strict";
  var KEYWORD = /(chapitres?|comptes?|natures?|fonctions?|chapters?|accounts?|functions?)(\s*=\s*|\s+)((?:[0-9A-Za-z]+\s*,\s*)*)([0-9A-Za-z]+)$/i;
  return {
    options: { url: null, codes: null, delay: 400, pending: "…", failed: "" },
    initialize: function () {
      var form = this.el[0];
      var field = form.querySelector("[name=formula]");
      var documents = form.querySelector("[name=document]");
      var output = form.querySelector(".budget-formula-live");
      var listbox = form.querySelector(".budget-formula-codes");
      var url = this.options.url;
      var codesUrl = this.options.codes;
      var delay = Number(this.options.delay) || 400;
      var pending = this.options.pending;
      var failed = this.options.failed;
      var timer = null;
      var latest = 0;
      var suggestTimer = null;
      var latestSuggestion = 0;
      var options = [];
      var active = -1;
      var typed = null;  // {start, end} of the code being typed
      if (!field || !output || !url || !window.fetch || !window.FormData) {
        return;
      }

      function line(tag, className, text) {
        var element = document.createElement(tag);
        element.className = className;
        element.textContent = text;
        output.appendChild(element);
      }

      /* The figures shown belong to another formula: withdraw them (the server-rendered
       * preview of the page too) and say the new ones are coming. */
      function withdraw() {
        var section = document.querySelector(".budget-rules-preview");
        if (section) {
          section.hidden = true;
        }
        output.textContent = "";
        output.hidden = false;
        output.className = "budget-formula-live is-pending";
        output.setAttribute("aria-busy", "true");
        line("p", "budget-formula-live-pending", pending);
      }

      function show(answer) {
        output.textContent = "";
        output.hidden = false;
        output.removeAttribute("aria-busy");
        field.setAttribute("aria-invalid", answer.ok ? "false" : "true");
        output.className = "budget-formula-live " + (answer.ok ? "is-valid" : "is-invalid");
        if (!answer.ok) {
          line("p", "budget-formula-live-error", answer.message);
          if (answer.pointer) {
            line("pre", "budget-formula-live-pointer", answer.pointer);
          }
          return;
        }
        if (answer.plain) {
          line("p", "budget-formula-live-plain", answer.plain);
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
        withdraw();
        window.fetch(url, {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" }
        }).then(function (response) {
          return response.ok ? response.json() : null;
        }).then(function (answer) {
          if (asked !== latest) {
            return;  // an older answer never hides a newer one
          }
          if (answer) {
            show(answer);
          } else {
            show({ ok: false, message: failed });
          }
        }).catch(function () {
          if (asked === latest) {
            show({ ok: false, message: failed });  // the Preview button still works
          }
        });
      }

      function later() {
        latest++;  // any answer still on its way is for an older text
        withdraw();
        window.clearTimeout(timer);
        timer = window.setTimeout(send, delay);
      }

      // --- suggestions -------------------------------------------------------------

      function close() {
        options = [];
        active = -1;
        typed = null;
        if (listbox) {
          listbox.textContent = "";
          listbox.hidden = true;
        }
        field.removeAttribute("aria-activedescendant");
      }

      function highlight(index) {
        active = index;
        options.forEach(function (option, i) {
          option.setAttribute("aria-selected", i === index ? "true" : "false");
          option.classList.toggle("is-active", i === index);
        });
        if (index >= 0) {
          field.setAttribute("aria-activedescendant", options[index].id);
          options[index].scrollIntoView({ block: "nearest" });
        } else {
          field.removeAttribute("aria-activedescendant");
        }
      }

      function pick(index) {
        var option = options[index];
        var where = typed;
        if (!option || !where) {
          return;
        }
        var code = option.getAttribute("data-code");
        var value = field.value;
        field.value = value.slice(0, where.start) + code + value.slice(where.end);
        var caret = where.start + code.length;
        field.setSelectionRange(caret, caret);
        close();
        field.focus();
        later();
      }

      function list(codes, where) {
        close();
        if (!codes.length) {
          return;
        }
        typed = where;
        codes.forEach(function (code, i) {
          var option = document.createElement("li");
          option.id = "formula-code-" + i;
          option.setAttribute("role", "option");
          option.setAttribute("aria-selected", "false");
          option.setAttribute("data-code", code.code);
          var strong = document.createElement("strong");
          strong.textContent = code.code;
          option.appendChild(strong);
          option.appendChild(document.createTextNode(" " + code.label));
          option.addEventListener("mousedown", function (event) {
            event.preventDefault();  // the field keeps the focus
            pick(i);
          });
          listbox.appendChild(option);
          options.push(option);
        });
        listbox.hidden = false;
      }

      function suggest() {
        if (!listbox || !codesUrl) {
          return;
        }
        var caret = field.selectionStart;
        var before = field.value.slice(0, caret);
        var found = KEYWORD.exec(before);
        var asked = ++latestSuggestion;
        if (!found) {
          close();
          return;
        }
        var where = { start: caret - found[4].length, end: caret };
        var query = found[1] + (found[2].indexOf("=") >= 0 ? " = " : " ") + found[4];
        window.fetch(codesUrl + "?q=" + encodeURIComponent(query), {
          credentials: "same-origin",
          headers: { Accept: "application/json" }
        }).then(function (response) {
          return response.ok ? response.json() : null;
        }).then(function (answer) {
          if (asked === latestSuggestion && answer) {
            list(answer.codes || [], where);
          }
        }).catch(function () {
          close();  // the list of codes is still linked from the page
        });
      }

      field.addEventListener("input", function () {
        later();
        window.clearTimeout(suggestTimer);
        suggestTimer = window.setTimeout(suggest, 150);
      });
      field.addEventListener("keydown", function (event) {
        if (!options.length) {
          return;
        }
        if (event.key === "ArrowDown") {
          event.preventDefault();
          highlight((active + 1) % options.length);
        } else if (event.key === "ArrowUp") {
          event.preventDefault();
          highlight(active <= 0 ? options.length - 1 : active - 1);
        } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
          event.preventDefault();
          pick(active);
        } else if (event.key === "Escape") {
          event.preventDefault();
          close();
        }
      });
      field.addEventListener("blur", function () {
        window.setTimeout(close, 200);
      });
      if (documents) {
        documents.addEventListener("change", send);
      }
    }
  };
});
