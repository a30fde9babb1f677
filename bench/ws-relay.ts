// The chat baseline: a bare `ws` relay that forwards each customer message to its agent, with no
// storage, auth or routing — what the network and JSON alone cost on this machine in this run.
import { WebSocketServer, type WebSocket } from 'ws';

const agents = new Map<string, WebSocket>();
const wss = new WebSocketServer({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
wss.on('connection', (socket, req) => {
  const url = new URL(req.url ?? '/', 'http://relay');
  const agent = url.searchParams.get('agent')!;
  if (url.pathname === '/agent') {
    agents.set(agent, socket);
    return;
  }
  socket.on('message', (raw) => {
    const msg = JSON.parse(String(raw)) as { clientId: string; body: string };
    agents.get(agent)?.send(JSON.stringify({ type: 'event', event: 'message.created', data: { clientId: msg.clientId, body: msg.body } }));
    socket.send(JSON.stringify({ type: 'ack', clientId: msg.clientId }));
  });
});
wss.on('listening', () => console.log(`listening ${(wss.address() as { port: number }).port}`));
