import { renderMrkdwn } from '../../../../devkit/console/render-mrkdwn';

describe('renderMrkdwn', () => {
  it('shows date tokens in local time, mentions by name, links and emoji as text', () => {
    const seconds = Date.UTC(2025, 10, 21, 16, 0, 0) / 1000;
    const local = new Date(seconds * 1000).toLocaleTimeString('en-GB', { hour12: false });
    const text = `:white_check_mark: <!date^${seconds}^{time_secs}|2025-11-21T16:00:00Z> by <@U1> in <#C1|ops> <https://x.example|docs> &lt;b&gt; :unknown_emoji:`;
    expect(renderMrkdwn(text, new Map([['U1', 'alice']]))).toBe(
      `✅ ${local} by @alice in #ops docs (https://x.example) <b> :unknown_emoji:`,
    );
  });

  it('shows the date with the day for date formats', () => {
    expect(renderMrkdwn('<!date^0^{date_short_pretty} {time_secs}|1970-01-01T00:00:00Z>')).toMatch(
      /^1970-01-0[12] \d\d:\d\d:\d\d$/,
    );
  });

  it("shows the runbooks' status symbols (deploy, seed, status lines)", () => {
    expect(
      renderMrkdwn(
        ':rocket: :lock: :unlock: :round_pushpin: :memo: :mag: :large_green_circle: :red_circle:',
      ),
    ).toBe('🚀 🔒 🔓 📍 📝 🔍 🟢 🔴');
  });

  it('falls back to the user id for unknown users', () => {
    expect(renderMrkdwn('<@U999>')).toBe('@U999');
  });
});
