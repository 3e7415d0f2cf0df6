/* Type-ahead for the staff forms (ARIA 1.2 combobox with a listbox popup). No inline script and
   nothing from the internet: the page loads this file, and the forms work without it.

   1. <input data-typeahead="/lookup/facilities/">: suggestions from the server as one types (a
      part of the name, pinyin, initials, a code prefix); choosing one puts its code in the
      field — the value the server accepts with or without this script — and shows its name,
      district and kind beside it.
   2. Checkboxes carrying data-search (the inspectors): the long list is replaced by a
      type-ahead over the same checkboxes (name, pinyin, initials, badge number) and the chosen
      ones as removable chips; the checkboxes stay the form's values.

   Keyboard: ↓/↑ move through the suggestions, Enter chooses, Esc closes (a second Esc clears
   what was typed), Tab leaves. */
(function () {
  "use strict";

  var MIN_LENGTH = 2;
  var DELAY_MS = 180;
  var MAX_LOCAL = 10;
  var counter = 0;

  function uid(prefix) {
    counter += 1;
    return prefix + "-" + counter;
  }

  function normalize(text) {
    return (text.normalize ? text.normalize("NFKC") : text).toLowerCase().replace(/\s+/g, " ").trim();
  }

  /* The same rule as supervision.search.terms_query: every word must match; a Latin or digit
     word of one or two characters only at the start of a key. */
  function matches(keys, terms) {
    return terms.every(function (term) {
      var short = term.length <= 2 && /^[\x00-\x7f]+$/.test(term);
      return keys.indexOf(short ? " " + term : term) !== -1;
    });
  }

  /* A combobox on `input`: source(text, show) calls show(items) with
     {label, detail, choose()}; empty text says what an empty result means. */
  function Combobox(input, source, emptyText) {
    var listbox = document.createElement("ul");
    var items = [];
    var active = -1;
    var timer = null;

    listbox.id = uid("typeahead-list");
    listbox.className = "typeahead-list";
    listbox.setAttribute("role", "listbox");
    listbox.hidden = true;
    input.insertAdjacentElement("afterend", listbox);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);
    input.setAttribute("autocomplete", "off");

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var options = listbox.querySelectorAll("[role=option]");
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0 && options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var item = items[index];
      if (!item) { return; }
      close();
      item.choose();
    }

    function show(found) {
      items = found;
      listbox.textContent = "";
      if (!found.length) {
        var none = document.createElement("li");
        none.className = "typeahead-empty";
        none.textContent = emptyText;
        listbox.appendChild(none);
      }
      found.forEach(function (item, index) {
        var option = document.createElement("li");
        option.id = listbox.id + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var label = document.createElement("span");
        label.className = "typeahead-label";
        label.textContent = item.label;
        option.appendChild(label);
        if (item.detail) {
          var detail = document.createElement("span");
          detail.className = "typeahead-detail";
          detail.textContent = item.detail;
          option.appendChild(detail);
        }
        /* mousedown, not click: it comes before the input's blur closes the list. */
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        listbox.appendChild(option);
      });
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(found.length ? 0 : -1);
    }

    function ask() {
      var text = input.value;
      if (normalize(text).replace(/ /g, "").length < MIN_LENGTH) {
        close();
        return;
      }
      source(text, function (found) {
        if (input.value === text && document.activeElement === input) { show(found); }
      });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    });
    input.addEventListener("keydown", function (event) {
      var open = !listbox.hidden;
      if (event.key === "ArrowDown" || event.key === "Down") {
        event.preventDefault();
        if (!open) { ask(); return; }
        highlight(Math.min(active + 1, items.length - 1));
      } else if (event.key === "ArrowUp" || event.key === "Up") {
        if (!open) { return; }
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault(); /* choose, do not submit the form */
          choose(active);
        }
      } else if (event.key === "Escape" || event.key === "Esc") {
        if (open) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
        }
      }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 120); });
    return { close: close };
  }

  /* 1. A facility from the server. */
  function facilityField(input) {
    var url = input.getAttribute("data-typeahead");
    var chosen = document.createElement("p");
    var pending = null;
    chosen.className = "typeahead-chosen";
    chosen.setAttribute("aria-live", "polite");
    chosen.textContent = input.getAttribute("data-typeahead-chosen") || "";
    chosen.hidden = !chosen.textContent;
    var prefix = input.getAttribute("data-typeahead-chosen-label") || "";
    if (chosen.textContent) { chosen.textContent = prefix + chosen.textContent; }

    function source(text, show) {
      if (pending && pending.abort) { pending.abort(); }
      pending = window.AbortController ? new window.AbortController() : null;
      fetch(url + "?q=" + encodeURIComponent(text), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: pending ? pending.signal : undefined
      })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          show((data.results || []).map(function (f) {
            return {
              label: f.name,
              detail: [f.district, f.kind, f.insurance_code || f.credit_code].join(" · "),
              choose: function () {
                input.value = f.value;
                chosen.textContent = prefix + [f.name, f.district, f.kind].join(" · ");
                chosen.hidden = false;
                input.dispatchEvent(new Event("change", { bubbles: true }));
              }
            };
          }));
        })
        .catch(function () { /* aborted or offline: the plain field still works */ });
    }

    Combobox(input, source, input.getAttribute("data-typeahead-empty") || "");
    input.addEventListener("input", function () { chosen.hidden = true; });
    var anchor = input.parentElement.querySelector(".typeahead-list") || input;
    anchor.insertAdjacentElement("afterend", chosen);
  }

  /* 2. Checkboxes with data-search, grouped by name. */
  function localField(boxes) {
    var first = boxes[0];
    var list = document.getElementById(first.id.replace(/_\d+$/, ""));
    var field = first.closest(".field");
    if (!list || !field) { return; }
    var label = field.querySelector("label");
    var wrap = document.createElement("div");
    var chips = document.createElement("ul");
    var input = document.createElement("input");
    wrap.className = "typeahead-local";
    chips.className = "typeahead-chips";
    chips.setAttribute("aria-live", "polite");
    input.type = "text";
    input.id = uid("typeahead-input");
    input.className = "typeahead-input";
    input.setAttribute("spellcheck", "false");
    input.setAttribute("data-typeahead-for", first.name);
    input.placeholder = first.getAttribute("data-typeahead-placeholder") || "";
    if (label) {
      label.setAttribute("for", input.id);
      input.setAttribute("aria-label", label.textContent.replace("*", "").trim());
    }

    function nameOf(box) {
      return (box.closest("label") || box.parentElement).textContent.trim();
    }

    function renderChips() {
      chips.textContent = "";
      boxes.forEach(function (box) {
        if (!box.checked) { return; }
        var chip = document.createElement("li");
        var text = document.createElement("span");
        var remove = document.createElement("button");
        text.textContent = nameOf(box);
        remove.type = "button";
        remove.className = "typeahead-remove";
        remove.textContent = "×";
        remove.setAttribute("aria-label", (wrap.getAttribute("data-remove") || "") + nameOf(box));
        remove.addEventListener("click", function () {
          box.checked = false;
          renderChips();
          input.focus();
        });
        chip.appendChild(text);
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
    }

    function source(text, show) {
      var terms = normalize(text).split(" ").filter(Boolean);
      var found = boxes.filter(function (box) {
        return !box.checked && matches(box.getAttribute("data-search") || "", terms);
      }).slice(0, MAX_LOCAL);
      show(found.map(function (box) {
        return {
          label: nameOf(box),
          detail: "",
          choose: function () {
            box.checked = true;
            input.value = "";
            renderChips();
          }
        };
      }));
    }

    wrap.setAttribute("data-remove", first.getAttribute("data-typeahead-remove") || "");
    wrap.appendChild(chips);
    wrap.appendChild(input);
    list.insertAdjacentElement("beforebegin", wrap);
    list.hidden = true;
    list.classList.add("typeahead-replaced");
    Combobox(input, source, first.getAttribute("data-typeahead-empty") || "");
    renderChips();
  }

  document.querySelectorAll("input[data-typeahead]").forEach(facilityField);
  var groups = {};
  document.querySelectorAll("input[type=checkbox][data-search]").forEach(function (box) {
    (groups[box.name] = groups[box.name] || []).push(box);
  });
  Object.keys(groups).forEach(function (name) { localField(groups[name]); });
}());
