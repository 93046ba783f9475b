/* The few comforts of the pages citizens read, without CKAN's JavaScript bundle (which these
 * pages do not load, see templates/budget/explorer/base.html). Everything works without it:
 * the menu is then open on small screens, messages stay, the embed code stays selectable. */
(function () {
  "use strict";

  /* The header's menu button on small screens (Bootstrap's collapse, by its own markup). */
  function menuButton(button) {
    var target = document.querySelector(button.getAttribute("data-bs-target"));
    if (!target) {
      return;
    }
    button.addEventListener("click", function () {
      var open = target.classList.toggle("show");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  /* A message's close button (Bootstrap's dismissable alert, by its own markup). */
  function closeButton(button) {
    button.addEventListener("click", function () {
      var alert = button.closest(".alert");
      if (alert) {
        alert.remove();
      }
    });
  }

  /* A "Copy" button beside a read-only text area holding code to copy. */
  function copyButton(box) {
    var area = box.querySelector("textarea");
    var status = document.createElement("span");
    var button = document.createElement("button");
    if (!area) {
      return;
    }
    status.setAttribute("role", "status");
    status.className = "budget-copy-status";
    button.type = "button";
    button.className = "btn btn-default btn-sm budget-copy-button";
    button.textContent = box.getAttribute("data-budget-copy") || "Copy";
    button.addEventListener("click", function () {
      var shown = function () { status.textContent = box.getAttribute("data-budget-copied") || ""; };
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

  if (!window.bootstrap) {  /* else CKAN's bundle is there (ckanext.budget.light_pages) */
    document.querySelectorAll('[data-bs-toggle="collapse"][data-bs-target]').forEach(menuButton);
    document.querySelectorAll('[data-bs-dismiss="alert"]').forEach(closeButton);
  }
  document.querySelectorAll("[data-budget-copy]").forEach(copyButton);
})();
