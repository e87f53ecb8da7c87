import { invalidKeyReason } from '@socketdb/core';
import { parseAs, sameValue, textOfValue, TYPE_LABELS, typeOfValue, VALUE_TYPES, type ValueType } from './value-types';

/** What a form asks to write: the child's key (for `add`) and the value read by the chosen type. */
export type FormResult = { key: string; value: unknown };

export type ValueFormOptions = {
	kind: 'edit' | 'add';
	/** Sends the write; a throw shows its message in the form, and the form stays open. */
	save: (result: FormResult) => void;
	/** Called when the form is done: saved, or closed unchanged. */
	close: () => void;
};

/** The type a new child starts as: JSON takes `"text"`, `42` and `{"a": 1}` alike, and guesses nothing. */
const ADD_TYPE: ValueType = 'json';

/**
 * The edit and add-child form: a key (add only), the value's type, the value as text, and a place
 * for what is wrong with them. An edit form waits for `load(value)` with the whole stored value;
 * saving it unchanged writes nothing.
 */
export class ValueForm {
	readonly element = document.createElement('form');
	private readonly keyInput = document.createElement('input');
	private readonly typeSelect = document.createElement('select');
	private readonly valueInput = document.createElement('input');
	private readonly saveButton = document.createElement('button');
	private readonly problem = document.createElement('span');
	/** The value the edit form was opened with; unset while loading and for add forms. */
	private original: { value: unknown } | undefined;

	constructor(private readonly options: ValueFormOptions) {
		const { kind } = options;
		this.element.className = `form ${kind}`;
		this.keyInput.name = 'key';
		this.keyInput.placeholder = 'key';
		this.typeSelect.name = 'type';
		this.typeSelect.setAttribute('aria-label', 'type');
		for (const type of VALUE_TYPES) this.typeSelect.append(new Option(TYPE_LABELS[type], type));
		this.typeSelect.addEventListener('change', () => this.typeChanged());
		this.valueInput.name = 'value';
		this.valueInput.setAttribute('aria-label', 'value');
		this.saveButton.type = 'submit';
		this.saveButton.textContent = 'save';
		this.problem.className = 'problem';
		this.problem.setAttribute('role', 'alert');
		this.element.append(...(kind === 'add' ? [this.keyInput] : []), this.typeSelect, this.valueInput, this.saveButton, this.problem);
		this.element.addEventListener('submit', (event) => {
			event.preventDefault();
			this.submit();
		});
		if (kind === 'add') {
			this.typeSelect.value = ADD_TYPE;
			this.typeChanged();
		} else {
			// Until the whole value is here, there is nothing to edit.
			this.valueInput.placeholder = 'loading…';
			this.setEnabled(false);
		}
	}

	/** Fills an edit form with the stored value, whole, and its type. */
	load(value: unknown): void {
		this.original = { value: value ?? null };
		this.typeSelect.value = typeOfValue(value);
		this.valueInput.value = textOfValue(value);
		this.setEnabled(true);
		this.typeChanged();
		this.valueInput.focus();
	}

	focus(): void {
		(this.options.kind === 'add' ? this.keyInput : this.valueInput).focus();
	}

	private get type(): ValueType {
		return this.typeSelect.value as ValueType;
	}

	private typeChanged(): void {
		// null has no text to type; while an edit form loads, nothing can be typed.
		this.valueInput.disabled = this.type === 'null' || this.saveButton.disabled;
		this.valueInput.placeholder = placeholder(this.type);
	}

	private setEnabled(enabled: boolean): void {
		this.typeSelect.disabled = !enabled;
		this.valueInput.disabled = !enabled;
		this.saveButton.disabled = !enabled;
	}

	private submit(): void {
		const key = this.keyInput.value;
		if (this.options.kind === 'add') {
			// Checked in the form, before anything is sent: an empty key would otherwise address the parent itself.
			const reason = invalidKeyReason(key);
			if (reason !== null) return this.show(`invalid key: ${reason}`);
		} else if (this.original === undefined) {
			return;
		}
		const parsed = parseAs(this.valueInput.value, this.type);
		if (!parsed.ok) return this.show(parsed.error);
		if (this.original !== undefined && sameValue(parsed.value, this.original.value)) return this.options.close();
		try {
			this.options.save({ key, value: parsed.value });
		} catch (error) {
			return this.show((error as Error).message);
		}
		this.options.close();
	}

	private show(message: string): void {
		this.problem.textContent = message;
		this.element.dataset['problem'] = 'yes';
	}
}

function placeholder(type: ValueType): string {
	switch (type) {
		case 'string':
			return 'text, as typed';
		case 'number':
			return 'a number, e.g. 42 or 1.5';
		case 'boolean':
			return 'true or false';
		case 'null':
			return 'null';
		case 'json':
			return 'JSON, e.g. "text", 42 or {"a": 1}';
	}
}
