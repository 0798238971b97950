// stream_page.js: see stream_page.html. The daemon's address and credentials come in the query.
(async () => {
  const q = new URLSearchParams(location.search);
  const api = `http://127.0.0.1:${q.get("port")}/api/v1`;
  let res;
  try {
    res = await fetch(`${api}/events/tickets`, {
      method: "POST",
      headers: { Authorization: "Basic " + btoa(q.get("user") + ":" + q.get("password")) },
    });
  } catch (e) {
    document.title = "ticket request failed: " + e;  // e.g. blocked by CORS
    return;
  }
  if (res.status !== 201) {
    document.title = "ticket refused " + res.status;
    return;
  }
  const ticket = await res.json();
  const ws = new WebSocket(`ws://127.0.0.1:${q.get("port")}${ticket.url}`);
  ws.onopen = () => ws.send(JSON.stringify({ subscribe: ["E_UL_*"] }));
  ws.onclose = (e) => { document.title = "closed " + e.code; };
  ws.onmessage = (m) => {
    const msg = JSON.parse(m.data);
    if (msg.subscribed) document.title = "subscribed";
    if (!msg.event) return;
    const li = document.createElement("li");
    li.textContent = `${msg.event} ${msg.params.aor} ${msg.seq}`;
    document.getElementById("events").appendChild(li);
  };
})();
