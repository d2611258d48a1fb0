// Commands that need the heavier packages register themselves here, so `validate` stays light.
export {};
