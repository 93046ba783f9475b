/* Optional comfort on the budget explorer pages: a "Copy" button beside the iframe code.
 * Without JavaScript the code stays selectable in its read-only text area. */
this.ckan.module("budget-copy", function () {
  "use strict";
  return {
    options: { label: "Copy", done: "Copied" },
    initialize: function () {
      var area = this.el.find("textarea")[0];
      var status = document.createElement("span");
      var button = document.createElement("button");
      var options = this.options;
      if (!area) {
        return;
      }
      status.setAttribute("role", "status");
      status.className = "budget-copy-status";
      button.type = "button";
      button.className = "btn btn-default btn-sm budget-copy-button";
      button.textContent = options.label;
      button.addEventListener("click", function () {
        var shown = function () { status.textContent = options.done; };
        area.select();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(area.value).then(shown);
        } else if (document.execCommand("copy")) {
          shown();
        }
      });
      area.insertAdjacentElement("afterend", status);
      area.insertAdjacentElement("afterend", button);
    }
  };
});
