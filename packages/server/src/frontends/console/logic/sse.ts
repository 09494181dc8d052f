/**
 * An incremental Server-Sent Events reader for the console's LLM chat (`generate_stream` answers
 * `data: {json}` events): feed it decoded text as it arrives, get each complete event's data.
 * Hand-written: the browser's EventSource cannot POST a body, and the format's subset used here is
 * a few lines.
 */
export class SseReader {
  private buffer = '';

  /** Adds text; returns the data of every event completed by it (multi-line data joined by `\n`). */
  feed(text: string): string[] {
    this.buffer += text.replace(/\r\n?/g, '\n');
    const events: string[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
      if (data.length > 0) events.push(data.join('\n'));
    }
    return events;
  }
}
