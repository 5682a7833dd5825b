/** `ev-sim`: the scenario runner. Its commands arrive with the simulator (issue 4). */
import { Command } from 'commander';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('ev-sim').description('Simulate OCPP 1.6J chargers and customers against a CSMS').exitOverride();
  program
    .command('run')
    .argument('<scenario>', 'scenario YAML file')
    .description('run a scenario (not available yet)')
    .action(() => {
      process.stderr.write('ev-sim run: the simulator is not part of this build yet.\n');
      process.exitCode = 2;
    });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code ?? 2;
  }
  return Number(process.exitCode ?? 0);
}
