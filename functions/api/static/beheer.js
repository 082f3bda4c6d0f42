// The operator's view: a placeholder for now (the registry, rules and runs come here later); its
// content goes into #beheer-inhoud.

import { showView } from "./ui.js";

export function showBeheer() {
  showView("beheer", "Beheer");
}
