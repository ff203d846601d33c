/**
 * Real database servers on 127.0.0.1 for the tests that must run SQL the
 * program ships (the shared-instance grant): PostgreSQL and MariaDB from the
 * machine's Debian packages (`.ci/run` installs them when missing). Each test
 * file starts its own in a temporary directory and stops it.
 */
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

const isRoot = process.getuid?.() === 0;

/**
 * The master password of the test servers: every character RDS master passwords
 * may hold (components/aws/database.ts: letters, digits and -_.~!#%^*), `#` included,
 * which an unquoted MySQL option file would read as a comment.
 */
export const MASTER_PASSWORD = "Ab1-_.~!#%^*Zz9#end";

function which(cmd: string, extra: string[] = []): string | undefined {
  for (const dir of [...(process.env.PATH ?? "").split(":"), ...extra]) {
    const p = path.join(dir, cmd);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

function need(cmd: string, extra: string[] = []): string {
  const p = which(cmd, extra);
  if (!p) throw new Error(`${cmd} is not installed: install postgresql and mariadb-server (.ci/run does) to run the database tests`);
  return p;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function waitFor(check: () => boolean, what: string, seconds = 30): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not come up within ${seconds} s`);
}

/** Runs a command; as root, the PostgreSQL binaries run as the `postgres` user (they refuse root). */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; asPostgres?: boolean } = {}): SpawnSyncReturns<string> {
  const [c, a] = opts.asPostgres && isRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
  return spawnSync(c, a, { encoding: "utf8", env: { ...process.env, ...opts.env }, input: opts.input });
}

export interface Server {
  port: number;
  /** A master role like RDS's: may create roles and databases, is no superuser. */
  master: { user: string; password: string };
  stop(): Promise<void>;
  /** Runs the engine's client with env; returns its result. */
  client(args: string[], env: Record<string, string>, input?: string): SpawnSyncReturns<string>;
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    p.once("exit", () => resolve());
    p.kill("SIGTERM");
    setTimeout(() => p.kill("SIGKILL"), 10_000).unref();
  });
}

const PG_BIN = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"];

/** A PostgreSQL server; `extraArgs` are passed to `postgres` (e.g. a store's TLS arguments). */
export async function startPostgres(opts: { extraArgs?: string[] } = {}): Promise<Server> {
  const initdb = need("initdb", PG_BIN);
  const postgres = need("postgres", PG_BIN);
  const psql = need("psql");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-pg-"));
  fs.chmodSync(dir, 0o755);
  if (isRoot) run("chown", ["postgres", dir]);
  const pwfile = path.join(dir, "pw");
  fs.writeFileSync(pwfile, "superpassword\n");
  if (isRoot) run("chown", ["postgres", pwfile]);
  const init = run(initdb, ["-D", path.join(dir, "data"), "-U", "postgres", "--auth=scram-sha-256", `--pwfile=${pwfile}`], { asPostgres: true });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const args = ["-D", path.join(dir, "data"), "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", ...(opts.extraArgs ?? [])];
  const proc = isRoot ? spawn("runuser", ["-u", "postgres", "--", postgres, ...args], { stdio: "ignore" }) : spawn(postgres, args, { stdio: "ignore" });
  const superEnv = { PGHOST: "127.0.0.1", PGPORT: String(port), PGUSER: "postgres", PGPASSWORD: "superpassword", PGDATABASE: "postgres" };
  await waitFor(() => spawnSync(psql, ["-X", "-tAc", "select 1"], { env: { ...process.env, ...superEnv } }).status === 0, "PostgreSQL");
  const master = { user: "master", password: MASTER_PASSWORD };
  const mk = spawnSync(psql, ["-X", "-v", "ON_ERROR_STOP=1", "-c", `CREATE ROLE master LOGIN CREATEROLE CREATEDB PASSWORD '${master.password}'`], {
    encoding: "utf8",
    env: { ...process.env, ...superEnv },
  });
  if (mk.status !== 0) throw new Error(`creating the master role failed: ${mk.stderr}`);
  return {
    port,
    master,
    client: (a, env, input) => spawnSync(psql, ["-X", ...a], { encoding: "utf8", env: { ...process.env, PGHOST: "127.0.0.1", PGPORT: String(port), ...env }, input }),
    stop: async () => {
      await stopProcess(proc);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startMariadb(): Promise<Server> {
  const install = need("mariadb-install-db", ["/usr/bin"]);
  const mariadbd = need("mariadbd", ["/usr/sbin"]);
  const mysql = need("mysql", ["/usr/bin"]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ts-maria-"));
  const user = isRoot ? ["--user=root"] : [];
  const init = spawnSync(install, [`--datadir=${path.join(dir, "data")}`, "--auth-root-authentication-method=normal", "--skip-test-db", ...user], { encoding: "utf8" });
  if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${init.stderr}`);
  const port = await freePort();
  const socket = path.join(dir, "sock");
  const proc = spawn(
    mariadbd,
    ["--no-defaults", `--datadir=${path.join(dir, "data")}`, `--socket=${socket}`, `--port=${port}`, "--bind-address=127.0.0.1", `--pid-file=${path.join(dir, "pid")}`, ...user],
    { stdio: "ignore" },
  );
  const root = (sql: string) => spawnSync(mysql, ["--no-defaults", "-uroot", `--socket=${socket}`, "-e", sql], { encoding: "utf8" });
  await waitFor(() => root("select 1").status === 0, "MariaDB");
  const master = { user: "master", password: MASTER_PASSWORD };
  const mk = root(`CREATE USER master@'%' IDENTIFIED BY '${master.password}'; GRANT ALL PRIVILEGES ON *.* TO master@'%' WITH GRANT OPTION;`);
  if (mk.status !== 0) throw new Error(`creating the master user failed: ${mk.stderr}`);
  return {
    port,
    master,
    client: (a, env, input) => spawnSync(mysql, ["--no-defaults", "-h", "127.0.0.1", "-P", String(port), ...a], { encoding: "utf8", env: { ...process.env, ...env }, input }),
    stop: async () => {
      await stopProcess(proc);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A free TCP port on 127.0.0.1. */
export { freePort };

/** nginx from the machine's Debian packages (`.ci/run` installs nginx-light), run on a configuration the program renders. */
export interface NginxServer {
  stop(): Promise<void>;
}

/**
 * Starts nginx on `conf` (which names its own port, pid file and temporary
 * directory) after `nginx -t` accepts it; resolves once `/health` on `port` answers.
 */
export async function startNginx(conf: string, port: number, dir: string): Promise<NginxServer> {
  const nginx = need("nginx", ["/usr/sbin"]);
  const file = path.join(dir, "nginx.conf");
  fs.writeFileSync(file, conf);
  const check = spawnSync(nginx, ["-t", "-q", "-p", dir, "-c", file], { encoding: "utf8" });
  if (check.status !== 0) throw new Error(`nginx -t refused the configuration: ${check.stderr}`);
  const proc = spawn(nginx, ["-p", dir, "-c", file, "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr += String(d)));
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      if (r.status === 200) break;
    } catch {
      /* not up yet */
    }
    if (proc.exitCode !== null || Date.now() > until) throw new Error(`nginx did not come up: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { stop: () => stopProcess(proc) };
}
