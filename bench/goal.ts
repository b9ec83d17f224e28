/** Prints whether a bench goal was met: `goal met: <text>` or `goal missed: <text>`. */
export function goal(met: boolean, text: string): void {
  console.log(`goal ${met ? 'met' : 'missed'}: ${text}`);
}
