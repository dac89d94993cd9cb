// The chat launcher for a school's website. Paste into any page:
//   <script src="https://ASSISTANT-ADDRESS/embed.js" defer></script>
// It adds a "Questions about social media?" button that opens the chat (served by the
// assistant's gateway) in a panel. Nothing else is loaded from anywhere.
"use strict";
(function () {
  if (window.__heatonsPolicyChat) return;
  window.__heatonsPolicyChat = true;
  const script = document.currentScript;
  const origin = new URL(script ? script.src : "/embed.js", location.href).origin;

  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Questions about social media?";
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "heatons-policy-chat");
  Object.assign(button.style, {
    position: "fixed", right: "1rem", bottom: "1rem", zIndex: "2147483000", font: "600 16px system-ui, sans-serif",
    padding: ".75rem 1rem", borderRadius: "24px", border: "2px solid #ffffff", background: "#003d73",
    color: "#ffffff", boxShadow: "0 2px 8px rgba(0,0,0,.3)", cursor: "pointer", minHeight: "44px",
  });

  const panel = document.createElement("div");
  panel.id = "heatons-policy-chat";
  panel.style.display = "none";
  Object.assign(panel.style, {
    position: "fixed", right: "1rem", bottom: "4.5rem", zIndex: "2147483000", width: "min(26rem, calc(100vw - 2rem))",
    height: "min(40rem, calc(100vh - 6rem))", background: "#ffffff", border: "1px solid #767676",
    borderRadius: "12px", boxShadow: "0 4px 16px rgba(0,0,0,.3)", overflow: "hidden",
  });
  const frame = document.createElement("iframe");
  frame.title = "Ask about the Social Media Policy";
  Object.assign(frame.style, { width: "100%", height: "100%", border: "0" });
  panel.appendChild(frame);

  button.addEventListener("click", () => {
    const open = panel.style.display === "none";
    if (open && !frame.src) frame.src = origin + "/?embed=1";
    panel.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", String(open));
    button.textContent = open ? "Close the chat" : "Questions about social media?";
    if (open) frame.focus();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && panel.style.display !== "none") button.click();
  });
  document.body.append(panel, button);
})();
