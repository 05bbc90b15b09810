/** Reading Northwind rows with an unquoted comma in one free-text field (data README). */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readTable, SPECS } from "../../scripts/northwind/tables";

function folder(files: Record<string, string>): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nw-unit-"));
	for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);

	return dir;
}

const HEADER =
	"customerID,companyName,contactName,contactTitle,address,city,region,postalCode,country,phone,fax\n";

describe("Northwind tables", () => {
	test("a comma inside the address is rejoined by anchoring the columns on both sides", () => {
		const dir = folder({
			"customers.csv":
				HEADER +
				"BOLID,Bólido Comidas preparadas,Martín Sommer,Owner,C/ Araquil, 67,Madrid,NULL,28023,Spain,(91) 555 22 82,(91) 555 91 99\n",
		});

		const table = readTable(dir, SPECS.customers);

		expect(table.recovered).toBe(1);
		expect(table.rows[0]).toEqual({
			line: 2,
			row: expect.objectContaining({
				address: "C/ Araquil, 67",
				city: "Madrid",
				region: null,
				postalCode: "28023",
				phone: "(91) 555 22 82",
			}),
		});
	});

	test("a row that stays unreadable is rejected with its line, the others kept", () => {
		const dir = folder({
			"customers.csv":
				HEADER +
				"ALFKI,Alfreds Futterkiste,Maria Anders,Sales Representative,Obere Str. 57,Berlin,NULL,12209,Germany,030-0074321,030-0076545\n" +
				"bad,x,y,z,a,b,c,d,e,f,g\n" +
				"SHORT,only three\n",
		});

		const table = readTable(dir, SPECS.customers);

		expect(table.rows.map((r) => r.row.customerID)).toEqual(["ALFKI"]);
		expect(table.rejected).toEqual([
			{ file: "customers.csv", line: 3, reason: "customerID is not a customer code" },
			{ file: "customers.csv", line: 4, reason: "has 2 fields, the header 11" },
		]);
	});
});
