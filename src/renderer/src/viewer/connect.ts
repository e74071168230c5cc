// The viewer's stream socket: the share server's /stream on this page's own origin (wss), the token
// offered as the `bearer.<token>` subprotocol next to the stream's own (a browser cannot set headers on
// a WebSocket; a token in a URL would end up in logs and history).
import { VIEWER_TOKEN_PROTOCOL_PREFIX } from '../../../shared';
import { STREAM_PROTOCOL, type ConnectStream, type StreamSocketEvents } from '../../../shared/stream';
import { streamUrl } from './link';

/** Connects with the token; `onClose` sees every close code first (the refusals are told by code). */
export function viewerConnect(token: string, onClose: (code: number, reason: string) => void, page: string = window.location.href): ConnectStream {
  return (events: StreamSocketEvents) => {
    const socket = new WebSocket(streamUrl(page), [STREAM_PROTOCOL, `${VIEWER_TOKEN_PROTOCOL_PREFIX}${token}`]);
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => events.open();
    socket.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data !== 'string') events.message(new Uint8Array(e.data));
    };
    socket.onclose = (e) => {
      onClose(e.code, e.reason);
      events.close(e.code, e.reason);
    };
    socket.onerror = () => events.error('WebSocket error');
    return {
      send: (bytes) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(bytes);
      },
      close: (code, reason) => socket.close(code, reason),
      // A browser cannot drop a socket without the close handshake; 4000 marks it ours.
      abort: () => socket.close(4000, 'abort'),
    };
  };
}
