// Filters a <select class="field-picker"> by the text typed into the search box it names
// (data-search): a static file, so it runs under the console's CSP (script-src 'self').
// Without JavaScript the select still works (type-ahead); this only narrows a long list.
(function () {
  "use strict";
  function bind(select) {
    var search = document.getElementById(select.getAttribute("data-search"));
    if (!search) return;
    search.addEventListener("input", function () {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(select.options, function (option) {
        var text = (option.text + " " + option.value).toLowerCase();
        var match = !option.value || words.every(function (w) { return text.indexOf(w) !== -1; });
        option.hidden = !match;
        if (match && option.value) shown += 1;
      });
      select.setAttribute("data-shown", String(shown));
    });
  }
  document.querySelectorAll("select.field-picker").forEach(bind);
})();
