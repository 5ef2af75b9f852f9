// The UI's one script. The access token lives in an HttpOnly cookie this
// script cannot read; it reads only the CSRF token, and echoes it in
// X-CSRF-Token on every state-changing request.
"use strict";

function csrfToken() {
  for (const pair of document.cookie.split("; ")) {
    const [name, value] = pair.split("=");
    if (name === "__Host-csrf_token" || name === "csrf_token") return value;
  }
  return "";
}

function say(text) {
  document.getElementById("status").textContent = text;
}

async function detail(response) {
  try { return (await response.json()).detail || response.statusText; } catch { return response.statusText; }
}

const pages = {
  login() {
    document.getElementById("login").addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await fetch("/session", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          username: document.getElementById("username").value,
          password: document.getElementById("password").value,
        }),
      });
      if (response.ok) {
        location.assign("/ui/me");
      } else {
        say(`Login refused: ${await detail(response)}`);
      }
    });
  },

  async me() {
    const response = await fetch("/users/me");
    if (!response.ok) {
      say(`Not logged in (${response.status}): ${await detail(response)}`);
      document.getElementById("username").textContent = "nobody";
      return;
    }
    const user = await response.json();
    document.getElementById("username").textContent = user.username;
    document.getElementById("roles").textContent = user.roles.join(", ");
    document.getElementById("logout").addEventListener("click", async () => {
      const out = await fetch("/session", { method: "DELETE", headers: { "X-CSRF-Token": csrfToken() } });
      say(out.ok ? "Logged out" : `Logout failed: ${await detail(out)}`);
      if (out.ok) document.getElementById("username").textContent = "nobody";
    });
  },

  editor() {
    document.getElementById("publish").addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await fetch("/posts", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({
          title: document.getElementById("title").value,
          body: document.getElementById("body").value,
        }),
      });
      if (response.ok) {
        const post = await response.json();
        say(`Published post ${post.id}`);
      } else {
        say(`Refused (${response.status}): ${await detail(response)}`);
      }
    });
  },

  feed() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/posts/feed`);
    socket.addEventListener("open", () => say("live"));
    socket.addEventListener("message", (event) => {
      const post = JSON.parse(event.data);
      const item = document.createElement("li");
      item.textContent = `${post.title} by ${post.author}`;
      item.className = "post";
      document.getElementById("posts").append(item);
    });
    socket.addEventListener("close", (event) => say(`closed (${event.code})`));
  },
};

pages[document.body.dataset.page]();
