// QR codes as inline SVG (no image requests, nothing for the CSP to allow).
import QRCode from 'qrcode';
import { escapeHtml } from './render.js';

export async function qrSvg(text: string, label: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return svg.replace('<svg ', `<svg role="img" aria-label="${escapeHtml(label)}" class="qr" `);
}
