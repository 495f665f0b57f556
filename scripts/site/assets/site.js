/* cnplans site: sort and filter the data tables, by words and by the choices a page offers. An
   enhancement only: without JavaScript every table shows all of its rows, in file order, and the
   choices stay hidden. No library, nothing loaded from the web. */
(function () {
  "use strict";

  function sortValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
  }

  function compare(a, b) {
    if (a === b) return 0;
    if (a === "") return 1; // empty cells sort last
    if (b === "") return -1;
    var x = Number(a), y = Number(b);
    if (!isNaN(x) && !isNaN(y)) return x - y;
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function makeSortable(table) {
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    headers.forEach(function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var order = compare(sortValue(r1, index), sortValue(r2, index));
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  // A row's values for a facet: the space-separated tokens of its data-<facet> attribute.
  function facetMatches(row, select) {
    if (!select.value) return true;
    var tokens = (row.getAttribute("data-" + select.getAttribute("data-facet")) || "").split(" ");
    return tokens.indexOf(select.value) !== -1;
  }

  var counter = 0;
  function makeFilterable(table) {
    counter += 1;
    var id = "filter-" + (table.id || counter);
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    // What a row is searched by: its text without the "archived text" links every row has.
    var texts = rows.map(function (row) {
      var copy = row.cloneNode(true);
      copy.querySelectorAll("a.archive").forEach(function (link) { link.remove(); });
      return copy.textContent.toLowerCase();
    });
    var tools = document.createElement("div");
    tools.className = "table-tools";
    // Choices written in the page for this table (hidden without JavaScript): shown in the tools.
    var facets = document.querySelector('.facets[data-controls="' + table.id + '"]');
    var selects = facets ? Array.prototype.slice.call(facets.querySelectorAll("select")) : [];
    if (facets) {
      facets.hidden = false;
      tools.appendChild(facets);
    }
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = facets ? "Search" : "Filter rows";
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.className = "filter";
    input.setAttribute("aria-controls", table.id);
    var status = document.createElement("output");
    status.setAttribute("aria-live", "polite");
    status.htmlFor = id;
    status.textContent = rows.length + " rows";
    tools.appendChild(label);
    tools.appendChild(input);
    tools.appendChild(status);
    var holder = table.closest(".table-scroll") || table;
    holder.parentNode.insertBefore(tools, holder);
    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var chosen = selects.filter(function (select) { return select.value; });
      var shown = 0;
      rows.forEach(function (row, index) {
        var text = texts[index];
        var match = words.every(function (word) { return text.indexOf(word) !== -1; }) &&
          chosen.every(function (select) { return facetMatches(row, select); });
        row.hidden = !match;
        if (match) shown += 1;
      });
      var filtered = words.length || chosen.length;
      status.textContent = filtered ? shown + " of " + rows.length + " rows" : rows.length + " rows";
    }
    input.addEventListener("input", apply);
    selects.forEach(function (select) { select.addEventListener("change", apply); });
  }

  document.querySelectorAll("table.data").forEach(function (table) {
    if (!table.tHead || !table.tBodies.length) return;
    makeSortable(table);
    makeFilterable(table);
  });

  // Printing shows everything: open folded sections, and the rows a filter hid come back via CSS.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  });
})();
