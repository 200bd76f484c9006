// finq serve: the only script, and the pages work without it. It adds two things:
// suggestions under the search box as you type, and Ctrl+Enter to run the console.
"use strict";

(function () {
  const input = document.getElementById("search");
  const list = document.getElementById("suggestions");
  if (input && list) {
    let pending = null;
    let asked = "";
    const hide = () => { list.hidden = true; list.textContent = ""; };
    const show = (rows) => {
      list.textContent = "";
      for (const r of rows) {
        // Built as elements and text nodes: names from the database are never parsed as HTML.
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = "/company/" + encodeURIComponent(r.symbol);
        const sym = document.createElement("span");
        sym.className = "sym";
        sym.textContent = r.symbol;
        a.appendChild(sym);
        a.appendChild(document.createTextNode(r.name || ""));
        li.appendChild(a);
        list.appendChild(li);
      }
      list.hidden = rows.length === 0;
    };
    input.addEventListener("input", () => {
      const q = input.value.trim();
      if (pending) { clearTimeout(pending); }
      if (!q) { hide(); return; }
      pending = setTimeout(() => {
        asked = q;
        fetch("/api/search?q=" + encodeURIComponent(q))
          .then((r) => (r.ok ? r.json() : []))
          .then((rows) => { if (asked === q) { show(rows); } })
          .catch(hide);
      }, 120);
    });
    input.addEventListener("keydown", (e) => {
      const links = Array.from(list.querySelectorAll("a"));
      if (!links.length) { return; }
      const at = links.findIndex((a) => a.classList.contains("active"));
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const next = e.key === "ArrowDown" ? Math.min(at + 1, links.length - 1) : Math.max(at - 1, 0);
        links.forEach((a, i) => a.classList.toggle("active", i === next));
      } else if (e.key === "Enter" && at >= 0) {
        e.preventDefault();
        window.location.href = links[at].href;
      } else if (e.key === "Escape") {
        hide();
      }
    });
    document.addEventListener("click", (e) => { if (!list.contains(e.target) && e.target !== input) { hide(); } });
  }

  const box = document.getElementById("statements");
  if (box) {
    box.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        box.form.requestSubmit();
      }
    });
  }
})();
