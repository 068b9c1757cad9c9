/* The staff portal's behaviour that Flask-Admin's templates put in inline
   handlers, which the portal's Content-Security-Policy does not run
   (portal/security.py; the overridden templates are in portal/templates/admin/).
   Loaded with the page's CSP nonce after Flask-Admin's own scripts. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) {
      return;
    }
    // "With selected" menu: run the bulk action (admin/actions.html).
    var action = target.closest("a[data-model-action]");
    if (action) {
      event.preventDefault();
      if (window.modelActions) {
        window.modelActions.execute(action.getAttribute("data-model-action"));
      }
      return;
    }
    // A delete button asks first (admin/model/row_actions.html).
    var confirming = target.closest("button[data-confirm]");
    if (confirming) {
      if (!window.faHelpers.safeConfirm(confirming.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
      return;
    }
    // Links that only open a menu or add a filter go nowhere; Flask-Admin's
    // "javascript:void(0)" addresses would be refused by the CSP when followed.
    var link = target.closest("a[href]");
    if (link && (link.classList.contains("filter") || link.getAttribute("href") === "#" ||
                 link.getAttribute("href").indexOf("javascript:") === 0)) {
      event.preventDefault();
    }
  }, true);
})();
