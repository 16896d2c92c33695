// Copy buttons for keys and links: <button class="copy" data-copy-target="ID" hidden>.
// A static file, so it runs under the console's CSP (script-src 'self'); buttons stay hidden
// without JavaScript, where the text is still selectable by hand.
(function () {
  "use strict";
  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return fallback(text); });
    }
    return fallback(text);
  }
  document.querySelectorAll("button.copy[data-copy-target]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(target.textContent.trim()).then(function () {
        button.textContent = "Copied";
        button.setAttribute("data-copied", "yes");
      }, function () {
        button.textContent = "Select and copy by hand";
      });
      window.setTimeout(function () { button.textContent = label; }, 2500);
    });
  });
})();
