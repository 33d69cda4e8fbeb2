/* Warn before leaving a page whose form (marked data-warn-unsaved) holds changes that were
   not submitted. Progressive enhancement only: without JavaScript the forms work the same,
   and the upload of evidence saves the entry form with it anyway. No inline script (CSP). */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-warn-unsaved]");
  if (!forms.length) {
    return;
  }
  var dirty = false;
  var leaving = false;
  function markDirty() {
    dirty = true;
  }
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("input", markDirty);
    form.addEventListener("change", markDirty);
    form.addEventListener("submit", function () {
      leaving = true;
    });
  });
  // Fields outside the form but submitted with it (form="..."), e.g. the evidence fields.
  Array.prototype.forEach.call(forms, function (form) {
    if (!form.id) {
      return;
    }
    var outside = document.querySelectorAll('[form="' + form.id + '"]');
    Array.prototype.forEach.call(outside, function (field) {
      field.addEventListener("input", markDirty);
      field.addEventListener("change", markDirty);
    });
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !leaving) {
      event.preventDefault();
      // Older browsers show the dialog only when returnValue is set.
      event.returnValue = "";
    }
  });
})();
