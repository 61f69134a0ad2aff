// Entry point of bin/fastd-ts.
export async function main(argv: string[]): Promise<void> {
  void argv;
}
