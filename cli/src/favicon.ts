/** The icon browsers ask for at /favicon.ico: a blue dot, 16x16 (an ICO holding a PNG). */
export const FAVICON = Buffer.from(
	'AAABAAEAEBAAAAEAIAB3AAAAFgAAAIlQTkcNChoKAAAADUlIRFIAAAAQAAAAEAgGAAAAH/P/YQAAAD5JREFUeNpjYKA2UE1+/R8fpkgzXkOI1YzVEFI1YxiCTfLnr98omCQD0DXjMmQ4G0BxINIlLVA/KVMlM5EDAPI31AgUwCv4AAAAAElFTkSuQmCC',
	'base64',
);
