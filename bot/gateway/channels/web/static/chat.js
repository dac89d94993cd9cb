// The web chat. Everything shown is set with textContent (never as HTML), so user and policy
// text can never become markup. The conversation id comes from the server; the conversation is
// kept in sessionStorage so it survives a reload and is gone when the browser tab is closed.
"use strict";
(function () {
  const KEY = "heatons-policy-chat";
  const ROLE_NAMES = { parent: "a parent or carer", pupil: "a pupil", staff: "a member of staff" };
  const $ = (id) => document.getElementById(id);
  const log = $("log"), form = $("ask"), input = $("message"), send = $("send"), roles = $("roles");
  const typing = $("typing"), status = $("status"), count = $("count");
  const maxChars = Number(input.getAttribute("maxlength")) || 1000;
  let state = load();
  let busy = false;

  if (new URLSearchParams(location.search).has("embed")) document.body.classList.add("embedded");

  function load() {
    try { return JSON.parse(sessionStorage.getItem(KEY)) || { transcript: [] }; } catch (e) { return { transcript: [] }; }
  }
  function save() {
    try { sessionStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* storage full or blocked: carry on */ }
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function render(item, live) {
    const box = el("div", "msg " + item.from);
    box.appendChild(el("span", "from", item.from === "me" ? "You" : "Assistant"));
    box.appendChild(el("span", "text", item.text));
    for (const c of item.citations || []) {
      const details = el("details", "cite");
      const summary = el("summary", null, `${c.label} · ${c.section}`);
      if (c.strength_label) summary.appendChild(el("span", "strength", ` (${c.strength_label})`));
      details.append(summary, el("blockquote", null, c.text));
      box.appendChild(details);
    }
    for (const notice of item.notices || []) {
      if (!item.text.includes(notice)) box.appendChild(el("p", "notice", notice));
    }
    if (item.from === "bot" && item.covered && (item.citations || []).length) box.appendChild(feedback(item));
    if ((item.buttons || []).length) {
      const quick = el("div", "quick");
      for (const b of item.buttons) {
        const button = el("button", null, b.title);
        button.type = "button";
        button.disabled = !live;
        button.addEventListener("click", () => ask(b.payload, b.title));
        quick.appendChild(button);
      }
      box.appendChild(quick);
    }
    log.appendChild(box);
    return box;
  }

  // Bring a reply into view from its start (a long answer is read from the top), or, when one of its messages
  // says to call 999, from that message: it must be on screen when it is sent, whatever the screen size.
  function reveal(boxes) {
    if (!boxes.length) return;
    const urgent = boxes.find((b) => /\b999\b/.test(b.textContent));
    const target = urgent || boxes[0];
    log.scrollTop = target.offsetTop - log.offsetTop - 8;
    target.scrollIntoView({ block: "nearest" });
  }

  // The review-date notice (and any other) is shown once per conversation, not under every answer.
  function firstTimeNotices(reply) {
    state.noticesShown = state.noticesShown || [];
    const fresh = [];
    for (const notice of reply.notices || []) {
      if (state.noticesShown.includes(notice)) reply.text = reply.text.replace(notice, "").trim();
      else { fresh.push(notice); state.noticesShown.push(notice); }
    }
    reply.notices = fresh;
    return reply;
  }

  function feedback(item) {
    const row = el("p", "feedback");
    if (item.feedback) { row.textContent = "Thank you for the feedback."; return row; }
    row.appendChild(el("span", null, "Helpful? "));
    for (const [label, helpful] of [["Yes", true], ["No", false]]) {
      const button = el("button", "small", label);
      button.type = "button";
      button.setAttribute("aria-label", `${label}, this answer was ${helpful ? "" : "not "}helpful`);
      button.addEventListener("click", async () => {
        row.textContent = "Sending …";
        try {
          const response = await fetch("/api/feedback", { method: "POST", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ conversation_id: state.conversationId, helpful: helpful, answer: item.id,
              question: helpful ? undefined : item.question, clauses: item.citations.map((c) => c.label) }) });
          const body = await response.json();
          row.textContent = body.message || "Thank you for the feedback.";
          if (response.ok) { item.feedback = helpful ? "yes" : "no"; save(); }
        } catch (e) { row.textContent = "Sorry, your feedback couldn't be sent."; }
      });
      row.appendChild(button);
    }
    return row;
  }

  function renderAll() {
    log.replaceChildren();
    state.transcript.forEach((item, i) => render(item, i === state.transcript.length - 1));
    log.scrollTop = log.scrollHeight;
  }

  function showRole() {
    const chosen = Boolean(state.role);
    roles.hidden = chosen;
    form.hidden = !chosen;
    $("who").hidden = !chosen;
    if (chosen) $("who-text").textContent = `Chatting as ${ROLE_NAMES[state.role]}.`;
  }

  async function conversationId(fresh) {
    if (state.conversationId && !fresh) return state.conversationId;
    const response = await fetch("/api/conversations", { method: "POST" });
    const body = await response.json();
    if (!response.ok) throw new Error(body.message || "Please try again in a minute.");
    state.conversationId = body.conversation_id;
    save();
    return state.conversationId;
  }

  async function post(message, fresh) {
    const id = await conversationId(fresh);
    return fetch("/api/chat", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ conversation_id: id, message: message, role: state.role }),
    });
  }

  async function ask(message, shown) {
    message = (message || "").trim();
    if (!message || busy) return;
    busy = true; send.disabled = true; typing.hidden = false; status.textContent = "";
    for (const b of log.querySelectorAll(".quick button")) b.disabled = true;
    const mine = { from: "me", text: shown || message };
    state.transcript.push(mine); save(); render(mine, false); log.scrollTop = log.scrollHeight;
    try {
      let response = await post(message, false);
      if (response.status === 401) { // expired or unknown: a new conversation, and say so when it had expired
        const refused = await response.json().catch(() => ({}));
        response = await post(message, true);
        if (refused.error === "conversation_expired") {
          const note = { from: "bot", text: refused.message };
          state.transcript.push(note); render(note, false);
        }
      }
      const body = await response.json().catch(() => ({}));
      if (!response.ok && !(body.messages || []).length) { // refused (busy, too large...): say why, keep the words
        state.transcript.splice(state.transcript.indexOf(mine), 1); save(); renderAll();
        input.value = message;
        status.textContent = body.message || "Sorry, something went wrong. Please try again in a moment.";
        return;
      }
      const replies = (body.messages || []).map((m) => ({ from: "bot", text: m.text || "", citations: m.citations,
        notices: m.notices, buttons: m.buttons, covered: m.covered, question: m.question, id: Date.now().toString(36) + Math.random().toString(36).slice(2, 6) }));
      if ((body.messages || []).some((m) => m.cleared)) {
        state.transcript = []; // what was typed for a report is cleared here too
        renderAll();
      }
      const boxes = [];
      replies.forEach((r, i) => { state.transcript.push(firstTimeNotices(r)); boxes.push(render(r, i === replies.length - 1)); });
      save();
      reveal(boxes);
    } catch (e) {
      status.textContent = "Sorry, the assistant could not be reached. Check your connection and try again.";
    } finally {
      busy = false; send.disabled = false; typing.hidden = true;
      input.focus();
    }
  }

  roles.addEventListener("click", (event) => {
    const role = event.target.closest("button[data-role]");
    if (!role) return;
    state.role = role.dataset.role; save(); showRole();
    input.focus();
  });
  $("change-role").addEventListener("click", () => {
    state.role = null; save(); showRole(); roles.querySelector("button").focus();
  });
  $("report").addEventListener("click", () => ask("I need to report something", "Report a concern"));
  // A new conversation: the assistant's copy of this one is cleared too, then a fresh id is used next time.
  $("restart").addEventListener("click", async () => {
    const ending = state.conversationId;
    state = { transcript: [], role: state.role }; save(); renderAll(); input.focus();
    if (!ending) return;
    try {
      await fetch("/api/conversations/end", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ conversation_id: ending }) });
    } catch (e) { /* offline: the old conversation expires on the server by itself */ }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = ""; updateCount();
    ask(text);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
  });
  function updateCount() {
    count.textContent = `${input.value.length} / ${maxChars} characters`;
    count.classList.toggle("over", input.value.length >= maxChars);
  }
  input.addEventListener("input", updateCount);

  renderAll();
  showRole();
})();
