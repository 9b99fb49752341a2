#!/usr/bin/env python3
"""Supervised fine-tuning of one difficulty bin, as the study trained: TRL's SFTTrainer on gradus' chat training
file ({"messages": [user, assistant], "id", "bin"} per line), loss on the answer tokens only, full fine-tuning or
LoRA (--lora), and a checkpoint vLLM can serve (LoRA weights are merged into the base model before saving).

Defaults are the study's released trainer settings: learning rate 5e-6, AdamW with betas (0.9, 0.99), weight
decay 0.1, 10% warm-up then a cosine schedule, gradient-norm clip 0.1, bf16. Epochs, batch size and maximum
length are not among them; the defaults here are this recipe's choice.

    accelerate launch train_sft.py --model Qwen/Qwen2.5-1.5B-Instruct --data train.chat.jsonl --output-dir out/
    python3 train_sft.py --data train.chat.jsonl --output-dir out/ --dry-run   # print the settings, train nothing
"""
import argparse
import json
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--model", default="Qwen/Qwen2.5-1.5B-Instruct", help="base model: a Hub id or a local folder")
    p.add_argument("--data", required=True, help="gradus' chat training file ({train_chat} in a study config)")
    p.add_argument("--output-dir", required=True, help="where the checkpoint goes ({output_dir})")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--lora", action="store_true", help="train LoRA adapters instead of every weight (merged before saving)")
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--lora-alpha", type=int, default=32)
    p.add_argument("--lora-dropout", type=float, default=0.05)
    p.add_argument("--learning-rate", type=float, default=5e-6)
    p.add_argument("--adam-beta1", type=float, default=0.9)
    p.add_argument("--adam-beta2", type=float, default=0.99)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--warmup-ratio", type=float, default=0.1)
    p.add_argument("--lr-scheduler", default="cosine")
    p.add_argument("--max-grad-norm", type=float, default=0.1)
    p.add_argument("--epochs", type=float, default=3.0)
    p.add_argument("--batch-size", type=int, default=8, help="per device")
    p.add_argument("--grad-accum", type=int, default=4)
    p.add_argument("--max-length", type=int, default=2048)
    p.add_argument("--no-bf16", action="store_true", help="train in float32 (GPUs without bfloat16)")
    p.add_argument("--dry-run", action="store_true", help="print the trainer settings as JSON and exit")
    return p.parse_args(argv)


def trainer_settings(a):
    """The keyword arguments of TRL's SFTConfig."""
    return {
        "output_dir": a.output_dir,
        "seed": a.seed,
        "learning_rate": a.learning_rate,
        "adam_beta1": a.adam_beta1,
        "adam_beta2": a.adam_beta2,
        "optim": "adamw_torch",
        "weight_decay": a.weight_decay,
        "warmup_ratio": a.warmup_ratio,
        "lr_scheduler_type": a.lr_scheduler,
        "max_grad_norm": a.max_grad_norm,
        "bf16": not a.no_bf16,
        "num_train_epochs": a.epochs,
        "per_device_train_batch_size": a.batch_size,
        "gradient_accumulation_steps": a.grad_accum,
        "max_length": a.max_length,
        # prompt/completion records: the loss covers the completion (the answer) only
        "completion_only_loss": True,
        "save_strategy": "no",
        "logging_steps": 10,
        "report_to": "none",
    }


def to_prompt_completion(record):
    """gradus' chat line → TRL's conversational prompt/completion form, so that only the answer is learned."""
    messages = record["messages"]
    return {"prompt": messages[:-1], "completion": messages[-1:]}


def main(argv=None):
    a = parse_args(argv)
    settings = trainer_settings(a)
    if a.dry_run:
        json.dump({"settings": settings, "lora": a.lora}, sys.stdout, indent=2)
        print()
        return 0
    # heavy imports only when training, so --help and --dry-run work without a GPU stack
    import torch
    from datasets import load_dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    data = load_dataset("json", data_files=a.data, split="train")
    data = data.map(to_prompt_completion, remove_columns=data.column_names)
    tokenizer = AutoTokenizer.from_pretrained(a.model)
    dtype = torch.float32 if a.no_bf16 else torch.bfloat16
    model = AutoModelForCausalLM.from_pretrained(a.model, torch_dtype=dtype)
    peft_config = None
    if a.lora:
        from peft import LoraConfig

        peft_config = LoraConfig(r=a.lora_r, lora_alpha=a.lora_alpha, lora_dropout=a.lora_dropout, target_modules="all-linear", task_type="CAUSAL_LM")
    trainer = SFTTrainer(model=model, args=SFTConfig(**settings), train_dataset=data, processing_class=tokenizer, peft_config=peft_config)
    trainer.train()
    if not a.lora:
        trainer.save_model(a.output_dir)
    elif trainer.accelerator.is_main_process:
        # vLLM serves a plain checkpoint: fold the adapters into the weights
        trainer.model.merge_and_unload().save_pretrained(a.output_dir, safe_serialization=True)
    if trainer.accelerator.is_main_process:
        tokenizer.save_pretrained(a.output_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
