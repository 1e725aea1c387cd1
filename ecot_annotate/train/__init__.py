"""The bundled trainer: fine-tune a vision-language model into a reasoning VLA on our shards.

Read top to bottom like nanoGPT: `data` streams examples from the Parquet shards, `prompts` and
`chain_text` turn one into training text, `action_tokens` turns actions into tokens and back,
`model` loads and saves, `trainer` runs the loop, `predict` and `evaluate` use a checkpoint.
"""
