// Reads ZIP archives with yauzl, which checks names, sizes and CRCs while reading.
import yauzl from 'yauzl';

type Opened = (error: Error | null, zip?: yauzl.ZipFile) => void;

/** Every entry of a ZIP (a file path or its bytes), in archive order. */
export function readZipEntries(source: Buffer | string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const options = { lazyEntries: true, strictFileNames: true, validateEntrySizes: true };
    const opened: Opened = (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('no archive'));
      const entries = new Map<string, Buffer>();
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error(`cannot read ${entry.fileName}`));
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    };
    if (typeof source === 'string') yauzl.open(source, options, opened);
    else yauzl.fromBuffer(source, options, opened);
  });
}

/** The entry names of a ZIP, in archive order. */
export async function zipEntryNames(source: Buffer | string): Promise<string[]> {
  return [...(await readZipEntries(source)).keys()];
}
