/*
 * Improvements of the message form (templates/messaging/message_form.html)
 * and of the mailing-list form (templates/mailing_lists/list_form.html),
 * which chooses recipients the same way.
 *
 * The forms work without this script: every button posts them and the server
 * rebuilds the page. The script adds, in place and without reloading, live
 * character counters, SIRET suggestions from the 4th character, search
 * results and adding or removing recipient chips. It shows only the mailing
 * lists that fit the sender and recipient type, and guards against double
 * submission. Its configuration comes from data attributes, because the
 * Content Security Policy forbids inline scripts. The mailing-list form names
 * its structure and service fields in data-structure-field and
 * data-service-field.
 */
(function () {
  "use strict";

  const form = document.querySelector("form[data-message-form], form[data-mailing-list-form]");
  if (!form) {
    return;
  }

  const MIN_SUGGESTION_CHARACTERS = 4;
  const SUGGESTION_DELAY_MS = 200;
  const plural = new Intl.PluralRules(document.documentElement.lang || "fr");

  const idsOf = (text) => new Set((text || "").split(/\s+/).filter(Boolean));
  const publicSenders = idsOf(form.dataset.publicSenders);
  const wholeSenders = idsOf(form.dataset.wholeSenders);
  const structureField = form.dataset.structureField || "sender";
  const serviceField = form.dataset.serviceField || "sender_service";

  // The same normalisation as structures.siret.normalize_siret.
  const normalizeIdentifier = (text) => text.replace(/[\s\u00a0\u202f.]/g, "");

  function pluralText(element, count) {
    const template = plural.select(count) === "one" ? element.dataset.one : element.dataset.other;
    return template.replace("{count}", String(count));
  }

  // ---------- Sender, service and recipient type ----------

  function currentSender() {
    if (form.dataset.sender) {
      return form.dataset.sender;
    }
    const field = form.elements.namedItem(structureField);
    return field ? field.value : "";
  }

  function currentKind() {
    if (form.dataset.kind) {
      return form.dataset.kind;
    }
    if (!publicSenders.has(currentSender())) {
      return "customers";
    }
    const field = form.elements.namedItem("recipient_kind");
    return field && field.value ? field.value : "customers";
  }

  function syncKindArea(sender) {
    const area = form.querySelector("[data-recipient-kind]");
    if (!area) {
      return;
    }
    const isPublic = publicSenders.has(sender);
    area.hidden = !isPublic;
    if (!isPublic) {
      // Private structures always write to their customers.
      const customers = area.querySelector('input[value="customers"]');
      if (customers) {
        customers.checked = true;
      }
    }
  }

  function syncServiceOptions(sender) {
    const select = form.querySelector(`select[name="${serviceField}"]`);
    if (!select) {
      return;
    }
    for (const option of select.options) {
      const allowed =
        option.value === "" ? wholeSenders.has(sender) : option.dataset.structure === sender;
      option.hidden = !allowed;
      option.disabled = !allowed;
    }
    for (const group of select.querySelectorAll("optgroup")) {
      group.hidden = Array.from(group.children).every((option) => option.hidden);
    }
    const selected = select.options[select.selectedIndex];
    if (!selected || selected.disabled) {
      const first = Array.from(select.options).find((option) => !option.disabled);
      select.value = first ? first.value : "";
    }
  }

  // ---------- Mailing lists ----------

  const listPicker = form.querySelector("[data-list-picker]");

  // Lists of another sender or recipient type are hidden and disabled, so
  // that they are not posted. They come back checked as they were.
  function syncListOptions() {
    if (!listPicker) {
      return;
    }
    const sender = currentSender();
    const kind = currentKind();
    const boxes = listPicker.querySelectorAll('input[type="checkbox"]');
    let fitting = 0;
    for (const box of boxes) {
      const fits = box.dataset.owner === sender && box.dataset.kind === kind;
      box.disabled = !fits;
      box.closest("[data-list-option]").hidden = !fits;
      fitting += fits ? 1 : 0;
    }
    listPicker.querySelector("[data-no-list-fits]").hidden = fitting > 0 || boxes.length === 0;
  }

  function syncSender() {
    const sender = currentSender();
    syncKindArea(sender);
    syncServiceOptions(sender);
    syncListOptions();
  }

  // ---------- Character counters ----------

  // Counts as the server does: code points (an emoji is one, as in PostgreSQL),
  // and a line break is one character whether it is CRLF, CR or LF.
  function characterCount(text) {
    return Array.from(text.replace(/\r\n?/g, "\n")).length;
  }

  function setUpCounter(container) {
    const input = container.querySelector("input, textarea");
    const counter = container.querySelector("[data-counter]");
    if (!input || !counter) {
      return;
    }
    const output = counter.querySelector("[data-count]");
    const limit = Number(counter.dataset.limit);
    const describedBy = (input.getAttribute("aria-describedby") || "").split(" ");
    input.setAttribute("aria-describedby", [...describedBy, counter.id].filter(Boolean).join(" "));
    const update = () => {
      const count = characterCount(input.value);
      output.textContent = String(count);
      counter.classList.toggle("counter--over", count > limit);
    };
    input.addEventListener("input", update);
    update();
  }

  // ---------- Recipient chips ----------

  const chipList = form.querySelector("[data-chip-list]");
  const chipTemplate = form.querySelector("[data-chip-template]");
  const chipCount = form.querySelector("[data-chip-count]");

  // A key is "structure:service:source"; two keys naming the same recipient match.
  const recipientOf = (key) => key.split(":").slice(0, 2).join(":");

  function chosenRecipients() {
    const inputs = chipList.querySelectorAll('input[name="recipients"]');
    return new Set(Array.from(inputs, (input) => recipientOf(input.value)));
  }

  function updateChipCount() {
    chipCount.textContent = pluralText(chipCount, chipList.querySelectorAll("[data-chip]").length);
  }

  function addChip(key, label) {
    if (chosenRecipients().has(recipientOf(key))) {
      return false;
    }
    const chip = chipTemplate.content.firstElementChild.cloneNode(true);
    chip.querySelector("[data-chip-label]").textContent = label;
    chip.querySelector('input[name="recipients"]').value = key;
    const remove = chip.querySelector("[data-chip-remove]");
    remove.value = key;
    remove.setAttribute("aria-label", remove.dataset.labelTemplate.replace("{label}", label));
    chipList.append(chip);
    updateChipCount();
    return true;
  }

  function removeChip(button) {
    const chip = button.closest("[data-chip]");
    const neighbour = chip.nextElementSibling || chip.previousElementSibling;
    chip.remove();
    updateChipCount();
    // The focus stays in the list, or goes to the SIRET field once the list is empty.
    const next = neighbour ? neighbour.querySelector("[data-chip-remove]") : siretInput;
    if (next) {
      next.focus();
    }
  }

  // ---------- SIRET suggestions (an ARIA 1.2 combobox) ----------

  const siretInput = form.querySelector('input[name="siret"]');
  const listbox = form.querySelector("[data-suggestion-list]");
  const suggestionStatus = form.querySelector("[data-suggestion-status]");
  const addTypedButton = form.querySelector("[data-add-typed]");
  let suggestions = [];
  let activeIndex = -1;
  let suggestionTimer = null;
  let suggestionRequest = null;

  async function fetchSuggestions(prefix) {
    if (suggestionRequest) {
      suggestionRequest.abort();
    }
    suggestionRequest = new AbortController();
    const params = new URLSearchParams({ sender: currentSender(), kind: currentKind(), q: prefix });
    const response = await fetch(`${form.dataset.suggestionsUrl}?${params}`, {
      headers: { Accept: "application/json" },
      signal: suggestionRequest.signal,
    });
    if (!response.ok) {
      return [];
    }
    return response.json();
  }

  function hideSuggestions() {
    suggestions = [];
    activeIndex = -1;
    listbox.replaceChildren();
    listbox.hidden = true;
    siretInput.setAttribute("aria-expanded", "false");
    siretInput.removeAttribute("aria-activedescendant");
  }

  function suggestionOption(item, index, chosen) {
    const option = document.createElement("li");
    option.id = `siret-suggestion-${index}`;
    option.className = "combobox__option";
    option.setAttribute("role", "option");
    option.setAttribute("aria-selected", "false");
    option.dataset.index = String(index);
    option.textContent = item.label;
    if (chosen.has(recipientOf(item.key))) {
      option.setAttribute("aria-disabled", "true");
      const note = document.createElement("span");
      note.className = "combobox__note";
      note.textContent = ` (${listbox.dataset.chosen})`;
      option.append(note);
    }
    return option;
  }

  function showSuggestions(items) {
    hideSuggestions();
    suggestions = items;
    const chosen = chosenRecipients();
    items.forEach((item, index) => listbox.append(suggestionOption(item, index, chosen)));
    listbox.hidden = items.length === 0;
    siretInput.setAttribute("aria-expanded", String(items.length > 0));
    suggestionStatus.textContent =
      items.length === 0 ? suggestionStatus.dataset.none : pluralText(suggestionStatus, items.length);
  }

  function highlight(index) {
    const options = listbox.querySelectorAll('[role="option"]');
    options.forEach((option, position) => {
      option.setAttribute("aria-selected", String(position === index));
    });
    activeIndex = index;
    siretInput.setAttribute("aria-activedescendant", options[index].id);
    options[index].scrollIntoView({ block: "nearest" });
  }

  function pickSuggestion(index) {
    const item = suggestions[index];
    if (!item) {
      return;
    }
    addChip(item.key, item.label);
    siretInput.value = "";
    hideSuggestions();
    siretInput.focus();
  }

  // "Add" puts the typed identifier in a chip when a suggestion names exactly
  // that structure; otherwise the form is posted, and the server explains why.
  async function addTypedIdentifier() {
    const typed = normalizeIdentifier(siretInput.value);
    if (typed.length >= MIN_SUGGESTION_CHARACTERS) {
      try {
        const items = await fetchSuggestions(typed);
        const exact = items.find((item) => item.identifier === typed && item.service_id === null);
        if (exact && addChip(exact.key, exact.label)) {
          siretInput.value = "";
          hideSuggestions();
          return;
        }
      } catch (error) {
        // The server answers the same question when the form is posted.
      }
    }
    form.requestSubmit(addTypedButton);
  }

  function onSiretInput() {
    clearTimeout(suggestionTimer);
    const prefix = normalizeIdentifier(siretInput.value);
    if (prefix.length < MIN_SUGGESTION_CHARACTERS) {
      hideSuggestions();
      suggestionStatus.textContent = "";
      return;
    }
    suggestionTimer = setTimeout(async () => {
      try {
        showSuggestions(await fetchSuggestions(prefix));
      } catch (error) {
        if (error.name !== "AbortError") {
          hideSuggestions();
        }
      }
    }, SUGGESTION_DELAY_MS);
  }

  function onSiretKeydown(event) {
    const open = !listbox.hidden && suggestions.length > 0;
    if (event.key === "ArrowDown" && open) {
      event.preventDefault();
      highlight((activeIndex + 1) % suggestions.length);
    } else if (event.key === "ArrowUp" && open) {
      event.preventDefault();
      highlight((activeIndex - 1 + suggestions.length) % suggestions.length);
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (open && activeIndex >= 0) {
        pickSuggestion(activeIndex);
      } else {
        addTypedIdentifier();
      }
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      hideSuggestions();
    }
  }

  function setUpSuggestions() {
    siretInput.setAttribute("role", "combobox");
    siretInput.setAttribute("aria-autocomplete", "list");
    siretInput.setAttribute("aria-expanded", "false");
    siretInput.setAttribute("aria-controls", listbox.id);
    siretInput.setAttribute("autocomplete", "off");
    siretInput.addEventListener("input", onSiretInput);
    siretInput.addEventListener("keydown", onSiretKeydown);
    siretInput.addEventListener("blur", hideSuggestions);
    // A click on an option must not blur the field first, which would close the list.
    listbox.addEventListener("mousedown", (event) => event.preventDefault());
    listbox.addEventListener("click", (event) => {
      const option = event.target.closest('[role="option"]');
      if (option) {
        pickSuggestion(Number(option.dataset.index));
      }
    });
    addTypedButton.addEventListener("click", (event) => {
      event.preventDefault();
      addTypedIdentifier();
    });
  }

  // ---------- Recipient search ----------

  const searchArea = form.querySelector("[data-search-area]");
  const searchButton = form.querySelector("[data-search-button]");
  const results = form.querySelector("[data-search-results]");

  async function search() {
    const params = new URLSearchParams({ sender: currentSender(), kind: currentKind() });
    for (const input of searchArea.querySelectorAll('input[name^="search-"]')) {
      params.set(input.name.slice("search-".length), input.value);
    }
    try {
      const response = await fetch(`${form.dataset.searchUrl}?${params}`, {
        headers: { Accept: "text/html" },
      });
      if (!response.ok) {
        throw new Error(`recipient search failed with status ${response.status}`);
      }
      // The fragment is rendered and escaped by the server's own template.
      results.innerHTML = await response.text();
      results.focus();
    } catch (error) {
      form.requestSubmit(searchButton);
    }
  }

  function addSelection() {
    for (const box of results.querySelectorAll('input[name="pick"]:checked')) {
      addChip(box.value, box.dataset.label);
      box.checked = false;
    }
  }

  function setUpSearch() {
    searchButton.addEventListener("click", (event) => {
      event.preventDefault();
      search();
    });
    results.addEventListener("click", (event) => {
      if (event.target.closest("[data-add-selected]")) {
        event.preventDefault();
        addSelection();
      }
    });
  }

  // ---------- The form as a whole ----------

  // Enter in a text field would post the form through its first button; here it
  // adds the typed SIRET or searches, and elsewhere does nothing.
  function onFormKeydown(event) {
    const target = event.target;
    if (event.key !== "Enter" || target.tagName !== "INPUT" || target === siretInput) {
      return;
    }
    event.preventDefault();
    if (target.name.startsWith("search-")) {
      search();
    }
  }

  // A second click on Save or Send while the first is on its way would post
  // twice. The server sends once, but the user would see a confusing message.
  function onSubmit(event) {
    if (form.dataset.submitting === "true") {
      event.preventDefault();
      return;
    }
    const action = event.submitter ? event.submitter.value : "";
    if (action === "save" || action === "send") {
      form.dataset.submitting = "true";
    }
  }

  function onSenderChange() {
    syncSender();
    hideSuggestions();
    results.replaceChildren();
  }

  syncSender();
  form.querySelectorAll("[data-counted]").forEach(setUpCounter);
  setUpSuggestions();
  setUpSearch();
  chipList.addEventListener("click", (event) => {
    const button = event.target.closest("[data-chip-remove]");
    if (button) {
      event.preventDefault();
      removeChip(button);
    }
  });
  form.addEventListener("keydown", onFormKeydown);
  form.addEventListener("submit", onSubmit);
  form.addEventListener("change", (event) => {
    if (event.target.name === structureField || event.target.name === "recipient_kind") {
      onSenderChange();
    }
  });
  // Coming back through the browser history must not leave the form blocked.
  window.addEventListener("pageshow", () => {
    delete form.dataset.submitting;
  });

  const errorSummary = document.getElementById("form-errors");
  if (errorSummary && !window.location.hash) {
    errorSummary.focus();
  }
})();
