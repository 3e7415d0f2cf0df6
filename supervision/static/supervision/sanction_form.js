/* 登记处理措施: show only the fields the chosen kind takes. The form works without this script
   (the server checks which fields each kind takes); it only hides and disables the others, so a
   value typed for another kind is not sent. No inline script: the page loads this file. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-sanction-form]");
  if (!form) { return; }
  var kind = form.querySelector("select[name=kind]");
  if (!kind) { return; }

  function update() {
    var value = kind.value;
    form.querySelectorAll("[data-kinds]").forEach(function (input) {
      var applies = !value || input.getAttribute("data-kinds").split(" ").indexOf(value) !== -1;
      var wrapper = input.closest(".field");
      if (wrapper) { wrapper.hidden = !applies; }
      input.disabled = !applies;
    });
  }

  kind.addEventListener("change", update);
  update();
}());
