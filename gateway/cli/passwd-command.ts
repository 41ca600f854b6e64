import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { loadConfigFile } from '../config/load-config.js';
import { AuditLog } from '../ui/audit-log.js';
import { passwordProblem } from '../ui/password-hash.js';
import { ROLES, type Role, USER_NAME, UserStore } from '../ui/users.js';

/**
 * `gridgate passwd USER [--config FILE | --state-dir DIR] [--role ROLE]`: sets a UI user's
 * password from the shell (creating the user when absent, as admin unless --role says). Sessions
 * opened before are ended: the daemon re-reads the users file. Reads the password twice from the
 * terminal without echo, or once from stdin when it is not a terminal.
 */
export async function passwdCommand(user: string | undefined, options: { config?: string; stateDir?: string; role?: string }): Promise<number> {
  if (!user || !USER_NAME.test(user)) {
    console.error('gridgate passwd: USER must be 2..32 lower-case letters, digits, . _ - starting with a letter');
    return 2;
  }
  if (options.role !== undefined && !ROLES.includes(options.role as Role)) {
    console.error(`gridgate passwd: --role must be one of ${ROLES.join(', ')}`);
    return 2;
  }
  let stateDir = options.stateDir;
  if (!stateDir) {
    if (!options.config) {
      console.error('gridgate passwd: give --config FILE (the UI state is under its dataDir) or --state-dir DIR');
      return 2;
    }
    const loaded = loadConfigFile(options.config, process.env);
    if (!loaded.ok) {
      console.error(`gridgate passwd: ${options.config} is not valid; use --state-dir DIR`);
      return 1;
    }
    stateDir = join(loaded.loaded.config.dataDir, 'ui');
  }
  stateDir = resolve(stateDir);
  const password = process.stdin.isTTY ? await askTwice(user) : await readAll();
  if (password === undefined) {
    console.error('gridgate passwd: the two passwords differ; nothing changed');
    return 1;
  }
  const problem = passwordProblem(password);
  if (problem) {
    console.error(`gridgate passwd: the password ${problem}`);
    return 1;
  }
  const users = new UserStore(join(stateDir, 'users.json'));
  const existed = Boolean(users.get(user));
  await users.setPassword(user, password, (options.role as Role | undefined) ?? (existed ? undefined : 'admin'));
  new AuditLog(join(stateDir, 'audit.jsonl')).append({
    who: 'shell',
    action: existed ? 'user.password-reset' : 'user.create',
    target: `user ${user}`,
    outcome: 'ok',
    reason: 'gridgate passwd',
  });
  console.error(`gridgate passwd: ${existed ? 'password set' : 'user created'} for ${user}; their open sessions are ended`);
  return 0;
}

async function askTwice(user: string): Promise<string | undefined> {
  const first = await ask(`New password for ${user}: `);
  const second = await ask('Again: ');
  return first === second ? first : undefined;
}

function ask(prompt: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _enc, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolvePromise) => {
    rl.question(prompt, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolvePromise(answer);
    });
    muted = true;
  });
}

async function readAll(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text.replace(/\r?\n$/, '');
}
