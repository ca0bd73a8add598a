//! The SM-SR's WSDL as the client's contract (WSDL 1.1 §2.4 port types,
//! WS-Addressing 1.0 Metadata §4.4 `wsam:Action`, XML Schema 1.0
//! sequences): which operations each interface's port type offers with
//! their request and answer actions, and the element declarations the
//! request and `…Response` elements are built and read by
//! ([`crate::xml`]). A client reads it once at start and refuses to run
//! when a function it uses, or its actions, are not in it.

use std::collections::HashMap;

use roxmltree::{Document, Node};

const WSDL_NS: &str = "http://schemas.xmlsoap.org/wsdl/";
const XS_NS: &str = "http://www.w3.org/2001/XMLSchema";
const WSAM_NS: &str = "http://www.w3.org/2007/05/addressing/metadata";

/// One operation of a port type: its input and output `wsam:Action`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The request's action.
    pub input: String,
    /// The answer's action (`None`: a one-way operation).
    pub output: Option<String>,
}

/// One `xs:element` inside a sequence (or at the schema's top level).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decl {
    /// Its local name.
    pub name: String,
    /// The key of its type in [`Schema`]: a named type's local name, or the
    /// key given to its inline `xs:complexType`.
    pub ty: String,
    /// `maxOccurs` above 1.
    pub many: bool,
}

/// The schema: complex types as their sequences, simple types as the
/// built-in type they restrict, top-level elements by name.
#[derive(Debug, Default)]
pub struct Schema {
    complex: HashMap<String, Vec<Decl>>,
    simple: HashMap<String, String>,
    elements: HashMap<String, Decl>,
}

fn local(qname: &str) -> &str {
    qname.rsplit(':').next().unwrap_or(qname)
}

impl Schema {
    /// The sequence of complex type `ty` (`None`: a simple type).
    pub fn sequence(&self, ty: &str) -> Option<&[Decl]> {
        self.complex.get(ty).map(Vec::as_slice)
    }

    /// The top-level element `name`.
    pub fn element(&self, name: &str) -> Option<&Decl> {
        self.elements.get(name)
    }

    /// The built-in type `ty` is or restricts (`string`, `boolean`, …).
    pub fn builtin<'a>(&'a self, ty: &'a str) -> &'a str {
        let mut t = ty;
        for _ in 0..8 {
            match self.simple.get(t) {
                Some(base) => t = base,
                None => break,
            }
        }
        t
    }

    fn decl(&mut self, e: Node<'_, '_>, inline: &mut usize) -> Option<Decl> {
        let name = e.attribute("name")?.to_owned();
        let ty = match e.attribute("type") {
            Some(t) => local(t).to_owned(),
            None => {
                *inline += 1;
                let key = format!("#{name}#{inline}");
                let ct = e
                    .children()
                    .find(|c| c.has_tag_name((XS_NS, "complexType")));
                let seq = ct
                    .map(|ct| self.sequence_of(ct, inline))
                    .unwrap_or_default();
                self.complex.insert(key.clone(), seq);
                key
            }
        };
        let many = e
            .attribute("maxOccurs")
            .is_some_and(|m| m != "1" && m != "0");
        Some(Decl { name, ty, many })
    }

    fn sequence_of(&mut self, ct: Node<'_, '_>, inline: &mut usize) -> Vec<Decl> {
        ct.descendants()
            .filter(|n| n.has_tag_name((XS_NS, "sequence")))
            .take(1)
            .flat_map(|s| s.children().filter(|c| c.has_tag_name((XS_NS, "element"))))
            .filter_map(|e| self.decl(e, inline))
            .collect()
    }

    fn read(schema: Node<'_, '_>) -> Self {
        let mut s = Self::default();
        let mut inline = 0;
        for n in schema.children().filter(Node::is_element) {
            let Some(name) = n.attribute("name") else {
                continue;
            };
            if n.has_tag_name((XS_NS, "complexType")) {
                let seq = s.sequence_of(n, &mut inline);
                s.complex.insert(name.to_owned(), seq);
            } else if n.has_tag_name((XS_NS, "simpleType")) {
                let base = n
                    .descendants()
                    .find(|r| r.has_tag_name((XS_NS, "restriction")))
                    .and_then(|r| r.attribute("base"))
                    .map_or("string", local);
                s.simple.insert(name.to_owned(), base.to_owned());
            } else if n.has_tag_name((XS_NS, "element"))
                && let Some(d) = s.decl(n, &mut inline)
            {
                s.elements.insert(d.name.clone(), d);
            }
        }
        s
    }
}

/// What the WSDL offers: operations by (port type, operation), and the
/// schema.
#[derive(Debug)]
pub struct Contract {
    operations: HashMap<(String, String), Operation>,
    /// The types.
    pub schema: Schema,
}

fn action(n: Node<'_, '_>) -> Option<String> {
    n.attribute((WSAM_NS, "Action")).map(str::to_owned)
}

impl Contract {
    /// Reads a WSDL 1.1 document.
    ///
    /// # Errors
    /// Not XML, or no `wsdl:definitions` with a schema.
    pub fn parse(text: &str) -> Result<Self, String> {
        let doc = Document::parse(text).map_err(|e| format!("WSDL: {e}"))?;
        let root = doc.root_element();
        if !root.has_tag_name((WSDL_NS, "definitions")) {
            return Err("WSDL: no wsdl:definitions".into());
        }
        let schema = root
            .descendants()
            .find(|n| n.has_tag_name((XS_NS, "schema")))
            .map(Schema::read)
            .ok_or("WSDL: no xs:schema")?;
        let mut operations = HashMap::new();
        for pt in root
            .children()
            .filter(|n| n.has_tag_name((WSDL_NS, "portType")))
        {
            // An unnamed port type or operation cannot be required.
            let Some(pt_name) = pt.attribute("name") else {
                continue;
            };
            for op in pt
                .children()
                .filter(|n| n.has_tag_name((WSDL_NS, "operation")))
            {
                let child = |tag| op.children().find(|c| c.has_tag_name((WSDL_NS, tag)));
                let Some(input) = child("input").and_then(action) else {
                    continue;
                };
                let output = child("output").and_then(action);
                let Some(name) = op.attribute("name") else {
                    continue;
                };
                operations.insert(
                    (pt_name.to_owned(), name.to_owned()),
                    Operation { input, output },
                );
            }
        }
        Ok(Self { operations, schema })
    }

    /// Operation `name` of port type `port_type` (`ES3`, `ES4`, …).
    pub fn operation(&self, port_type: &str, name: &str) -> Option<&Operation> {
        self.operations
            .get(&(port_type.to_owned(), name.to_owned()))
    }

    /// Checks that every function in `names` is an operation of
    /// `port_type` with both actions, and that its request and `…Response`
    /// elements are declared.
    ///
    /// # Errors
    /// The first function that is missing, naming what is.
    pub fn require(&self, port_type: &str, names: &[&str]) -> Result<(), String> {
        for n in names {
            let op = self
                .operation(port_type, n)
                .ok_or_else(|| format!("the WSDL has no operation {port_type}.{n}"))?;
            if op.output.is_none() {
                return Err(format!("the WSDL's {port_type}.{n} has no answer action"));
            }
            for e in [n.to_string(), format!("{n}Response")] {
                if self.schema.element(&e).is_none() {
                    return Err(format!("the WSDL declares no element {e}"));
                }
            }
        }
        Ok(())
    }

    /// How many operations the WSDL offers.
    pub fn len(&self) -> usize {
        self.operations.len()
    }

    /// Whether it offers none.
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WSDL: &str = r#"<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
      xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:t"
      xmlns:wsam="http://www.w3.org/2007/05/addressing/metadata"><wsdl:types>
      <xs:schema targetNamespace="urn:t">
        <xs:simpleType name="EIDType"><xs:restriction base="xs:string"/></xs:simpleType>
        <xs:complexType name="PolType"><xs:sequence>
          <xs:element name="Rule" type="xs:string" maxOccurs="unbounded"/></xs:sequence></xs:complexType>
        <xs:element name="F"><xs:complexType><xs:sequence>
          <xs:element name="Eid" type="tns:EIDType"/><xs:element name="Pol2" type="tns:PolType"/>
        </xs:sequence></xs:complexType></xs:element>
        <xs:element name="FResponse"><xs:complexType><xs:sequence/></xs:complexType></xs:element>
      </xs:schema></wsdl:types>
      <wsdl:portType name="ES4"><wsdl:operation name="F">
        <wsdl:input wsam:Action="urn:a:F"/><wsdl:output wsam:Action="urn:a:FR"/></wsdl:operation>
        <wsdl:operation name="G"><wsdl:input wsam:Action="urn:a:G"/></wsdl:operation>
      </wsdl:portType></wsdl:definitions>"#;

    #[test]
    fn operations_actions_and_types_are_read() {
        let c = Contract::parse(WSDL).unwrap();
        let op = c.operation("ES4", "F").unwrap();
        assert_eq!(
            (op.input.as_str(), op.output.as_deref()),
            ("urn:a:F", Some("urn:a:FR"))
        );
        let f = c.schema.element("F").unwrap();
        let seq = c.schema.sequence(&f.ty).unwrap();
        assert_eq!(seq[0].name, "Eid");
        assert_eq!(c.schema.builtin(&seq[0].ty), "string");
        assert!(c.schema.sequence("PolType").unwrap()[0].many);
        assert!(c.require("ES4", &["F"]).is_ok());
    }

    #[test]
    fn a_function_not_in_the_wsdl_is_refused() {
        let c = Contract::parse(WSDL).unwrap();
        assert!(c.require("ES3", &["F"]).unwrap_err().contains("ES3.F"));
        assert!(
            c.require("ES4", &["G"])
                .unwrap_err()
                .contains("no answer action")
        );
        assert!(c.require("ES4", &["H"]).is_err());
        assert!(Contract::parse("<x/>").is_err());
        assert!(Contract::parse("not xml").is_err());
    }
}
