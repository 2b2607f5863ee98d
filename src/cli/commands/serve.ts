// `mailsetup serve`: the web app (same as `npm start`), until SIGTERM or SIGINT; SIGHUP reloads
// the certificate files.
import { MailsetupError } from '../../errors.js';
import { closeOnSignals, reloadOnHangup, startServer } from '../../server.js';
import type { Command } from '../command.js';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the web app (self-service form, JSON API, autodiscovery).',
  usage: `mailsetup serve [--host HOST] [--port PORT]

  --host HOST           address to listen on (default: HOST, else 127.0.0.1)
  --port PORT           port to listen on (default: PORT, else 8080, or 443 with ACME; 0 picks a free one)

  Everything else comes from the environment: see the README's "Web app" and "Deploy" sections.
  SIGHUP reloads the certificate and key files.`,
  options: { host: { type: 'string' }, port: { type: 'string' } },
  async run(run) {
    const portText = run.string('port');
    const port = portText === undefined ? undefined : Number(portText);
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
      throw new MailsetupError('USAGE', `--port: "${portText}" is not a port number (0-65535)`, { field: 'port', rule: 'port-range' });
    }
    const running = await startServer({
      env: run.io.env,
      cwd: run.io.cwd,
      write: (line) => run.io.stdout(line),
      ...(run.string('host') ? { host: run.string('host') } : {}),
      ...(port !== undefined ? { port } : {}),
    });
    const unhook = reloadOnHangup(running);
    await closeOnSignals(running);
    unhook();
    return 0;
  },
};
