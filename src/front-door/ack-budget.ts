/** The time left before Slack's 3 s run out; each stage of the ack is bounded by what is left. */
export class AckBudget {
  private readonly deadline: number;

  constructor(budgetMs: number) {
    this.deadline = performance.now() + budgetMs;
  }

  remaining(): number {
    return Math.max(0, this.deadline - performance.now());
  }

  /** Rejects when `work` outlasts the budget, so the user hears something within Slack's 3 s. */
  async bound<T>(work: Promise<T>, what: string): Promise<T> {
    const budgetMs = Math.round(this.remaining());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`no answer from ${what} within the ${budgetMs} ms left to answer Slack`),
          ),
        budgetMs,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
