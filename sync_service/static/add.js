// The phone page: a certificate chosen (or photographed) is read by the service, and the form filled from
// what it states; nothing the member typed is overwritten, and nothing is kept until the form is sent.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("add-form");
  var file = document.getElementById("certificate");
  var said = document.getElementById("read-status");
  if (!form || !file) return;
  file.addEventListener("change", function () {
    if (!file.files.length) return;
    var body = new FormData();
    body.append("csrf", form.querySelector("input[name=csrf]").value);
    body.append("certificate", file.files[0]);
    said.textContent = "Reading the certificate...";
    fetch(form.dataset.read, {method: "POST", body: body, credentials: "same-origin",
                              headers: {"Accept": "application/json"}})
      .then(function (res) { return res.json(); })
      .then(function (answer) {
        if (answer.error) {                                  // the service's one-liner, as a sentence
          var m = String(answer.error.message || "The certificate could not be read");
          said.textContent = m.charAt(0).toUpperCase() + m.slice(1).replace(/\.?$/, ".");
          return;
        }
        var filled = [];
        Object.keys(answer.values).forEach(function (name) {
          var input = form.elements[name];
          if (input && !input.value) { input.value = answer.values[name]; filled.push(name.replace("_", " ")); }
        });
        said.textContent = (filled.length ? "Filled in: " + filled.join(", ") + ". " : "") +
          (answer.missing.length ? "Not on the certificate: " + answer.missing.join(", ").replace(/_/g, " ") + "." : "");
      })
      .catch(function () { said.textContent = "The certificate could not be read; fill in the form."; });
  });
});
