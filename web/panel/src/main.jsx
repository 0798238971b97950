// main.jsx: the panel's shell — log-in, the session (whoami), navigation and the pages.
// Routing is wouter's hash location (#/registrations): the daemon serves one page at /.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Link, Route, Router, Switch } from "wouter-preact";
import { useHashLocation } from "wouter-preact/use-hash-location";
import { api, basic, bearer, credential, whenUnauthorized } from "./api.js";
import { ErrorBox, Field, Session } from "./ui.jsx";
import Dashboard from "./pages/dashboard.jsx";
import Registrations from "./pages/registrations.jsx";
import Subscribers from "./pages/subscribers.jsx";
import Trunks from "./pages/trunks.jsx";
import Dialplan from "./pages/dialplan.jsx";
import Ports from "./pages/ports.jsx";
import Calls from "./pages/calls.jsx";
import Events from "./pages/events.jsx";
import Console from "./pages/console.jsx";
import Configuration from "./pages/configuration.jsx";

const PAGES = [
  ["/", "Dashboard", Dashboard],
  ["/registrations", "Registrations", Registrations],
  ["/subscribers", "Subscribers", Subscribers],
  ["/trunks", "Trunks", Trunks],
  ["/dialplan", "Dialplan", Dialplan],
  ["/ports", "Ports", Ports],
  ["/calls", "Calls & CDRs", Calls],
  ["/events", "Events", Events],
  ["/console", "MI console", Console],
  ["/config", "Configuration", Configuration],
];

function Login({ onLogin, expired }) {
  const [mode, setMode] = useState("token");
  const [user, setUser] = useState("");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const cred = mode === "token" ? bearer(secret) : basic(user, secret);
    try {
      const { data } = await api("GET", "/whoami", undefined, { cred });
      credential.set(cred);
      onLogin(data);
    } catch (err) {
      setError(err.status === 401 ? Object.assign(err, { message: "wrong user name, password or token" }) : err);
    } finally {
      setBusy(false);
    }
  }
  async function readOnly() {
    setBusy(true);
    setError(null);
    try {
      const { data } = await api("GET", "/whoami", undefined, { cred: null });
      credential.set(null);
      onLogin(data);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Switchboard</h1>
        {expired && <p class="notice" role="status">Your credential was refused: log in again.</p>}
        <fieldset class="tabs">
          <legend>Log in with</legend>
          <label><input type="radio" name="mode" checked={mode === "token"} onChange={() => setMode("token")} /> a token</label>
          <label><input type="radio" name="mode" checked={mode === "basic"} onChange={() => setMode("basic")} /> a user and password</label>
        </fieldset>
        {mode === "basic" && (
          <Field label="User" name="user" autocomplete="username" value={user} required
                 onInput={(e) => setUser(e.currentTarget.value)} />
        )}
        <Field label={mode === "token" ? "Token" : "Password"} name="secret" type="password" required
               autocomplete={mode === "token" ? "off" : "current-password"} value={secret}
               hint={mode === "token" ? "First start: the daemon's log says which file holds the admin token." : ""}
               onInput={(e) => setSecret(e.currentTarget.value)} />
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>{busy ? "Logging in…" : "Log in"}</button>
        <button type="button" class="link" onClick={readOnly} disabled={busy}>Look around read-only (no credential)</button>
      </form>
    </main>
  );
}

function Shell({ session, onLogout }) {
  const [menu, setMenu] = useState(false);
  return (
    <Session.Provider value={session}>
      <Router hook={useHashLocation}>
        <header class="topbar">
          <button type="button" class="menu-toggle" aria-expanded={menu ? "true" : "false"} aria-controls="nav"
                  onClick={() => setMenu(!menu)}>Menu</button>
          <span class="brand">Switchboard</span>
          <span class="who" title="your role decides what you may change">
            {session.name} · <strong>{session.role.replace("_", "-")}</strong>
          </span>
          <button type="button" onClick={onLogout}>Log out</button>
        </header>
        <div class="layout">
          <nav id="nav" class={menu ? "open" : ""} aria-label="pages" onClick={() => setMenu(false)}>
            <ul>{PAGES.map(([path, title]) => (
              <li key={path}><Link href={path} className={(active) => (active ? "active" : "")}>{title}</Link></li>
            ))}</ul>
          </nav>
          <main id="content">
            <Switch>
              {PAGES.map(([path, , Page]) => <Route key={path} path={path} component={Page} />)}
              <Route><p class="state empty">No such page. <Link href="/">Back to the dashboard</Link></p></Route>
            </Switch>
          </main>
        </div>
      </Router>
    </Session.Provider>
  );
}

function App() {
  const [session, setSession] = useState(null);
  const [checking, setChecking] = useState(true);
  const [expired, setExpired] = useState(false);
  useEffect(() => {
    whenUnauthorized(() => { credential.clear(); setExpired(true); setSession(null); });
    const cred = credential.get();
    if (!cred) { setChecking(false); return; }
    api("GET", "/whoami").then(({ data }) => setSession(data), () => credential.clear())
      .finally(() => setChecking(false));
  }, []);
  if (checking) return <p class="boot">Checking your session…</p>;
  if (!session) return <Login expired={expired} onLogin={(s) => { setExpired(false); setSession(s); }} />;
  return <Shell session={session} onLogout={() => { credential.clear(); setSession(null); }} />;
}

render(<App />, document.getElementById("app"));
