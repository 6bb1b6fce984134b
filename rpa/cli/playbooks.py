"""Playbook commands: validate, schema, run. (Being written.)"""
