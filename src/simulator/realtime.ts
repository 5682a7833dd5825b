/** A Socket.io connection as the web pages open it (own Manager per client: no multiplexing). */
import { io, type Socket } from 'socket.io-client';

export function openSocket(httpUrl: string, token: string, onNotification: (n: any) => void): Promise<Socket> {
  const socket = io(httpUrl, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
  });
  socket.on('notification', onNotification);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('Socket.io: no connection within 10 s'));
    }, 10_000);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (err: Error) => {
      clearTimeout(timer);
      socket.close();
      reject(new Error(`Socket.io refused: ${err.message}`));
    });
  });
}
